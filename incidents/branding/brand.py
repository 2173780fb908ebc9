"""What the pages read of the branding: one frozen value, safe whatever the row holds.

The service checked every value before storing it, but a row can be written by hand (or
before a rule existed), so each value is checked again here, and one that fails is
dropped in favour of the default: a hostile colour never reaches the stylesheet, a
`javascript:` link never reaches an href. The page then looks as Candor ships it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse

from incidents.models import Branding
from incidents.text import printable

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_SAFE_LINK = re.compile(r"(?:https://|mailto:)[^\s\"'<>\\]+", re.IGNORECASE)
MAX_LOGO_SIDE = 1024


@dataclass(frozen=True)
class Brand:
    site_name: str  # the name every page uses: the branding's, or CANDOR_PAGE_NAME
    accent_light: str  # "#rrggbb" or "" for the stock colour
    accent_dark: str
    support_url: str  # https:// or mailto:, or "" for none
    logo_width: int  # 0 without a logo
    logo_height: int
    has_favicon: bool
    version: str  # changes with every save: the assets' URLs carry it, so caches refresh

    @property
    def stylesheet(self) -> str:
        """The CSS for the accents; every value in it matched #rrggbb just above."""
        rules = []
        if self.accent_light:
            rules.append(f":root {{ --link: {self.accent_light}; }}")
        if self.accent_dark:
            rules.append(
                "@media (prefers-color-scheme: dark) {\n"
                f"  :root {{ --link: {self.accent_dark}; }}\n}}"
            )
        if rules:
            # The stock page's Subscribe button is a plain one; a branded page fills it
            # with the accent (card-coloured text: the pair accent.py checks).
            rules.append(
                ".button--subscribe, .button--subscribe:hover {\n"
                "  background: var(--link);\n  border-color: var(--link);\n"
                "  color: var(--surface);\n}"
            )
        return "/* Page branding, set in the console. */\n" + "\n".join(rules) + "\n"

    @property
    def has_stylesheet(self) -> bool:
        return bool(self.accent_light or self.accent_dark)

    @property
    def has_logo(self) -> bool:
        return self.logo_width > 0

    @property
    def stylesheet_url(self) -> str:
        return f"{reverse('public:brand_css')}?v={self.version}"

    @property
    def logo_url(self) -> str:
        return f"{reverse('public:brand_logo')}?v={self.version}"

    @property
    def favicon_url(self) -> str:
        return f"{reverse('public:brand_favicon')}?v={self.version}"

    def asset_paths(self) -> list[str]:
        """The URL paths of the assets this branding has, for the static snapshot."""
        paths = []
        if self.has_stylesheet:
            paths.append(reverse("public:brand_css"))
        if self.has_logo:
            paths.append(reverse("public:brand_logo"))
        if self.has_favicon:
            paths.append(reverse("public:brand_favicon"))
        return paths


def default_brand() -> Brand:
    return Brand(settings.CANDOR_PAGE_NAME, "", "", "", 0, 0, False, "")


_fixed = threading.local()


@contextmanager
def brand_fixed() -> Iterator[None]:
    """In this thread, current_brand answers from one query: for the snapshot renderer,
    which renders every page (each with the branding in its header) in one transaction."""
    _fixed.brand = current_brand()
    try:
        yield
    finally:
        del _fixed.brand


def current_brand() -> Brand:
    """The branding in force; Candor's defaults where nothing (valid) is set."""
    fixed: Brand | None = getattr(_fixed, "brand", None)
    if fixed is not None:
        return fixed
    row = (
        Branding.objects.filter(pk=Branding.SINGLETON)
        .defer("logo", "favicon")
        .annotate(
            has_logo=ExpressionWrapper(Q(logo__isnull=False), output_field=BooleanField()),
            has_favicon=ExpressionWrapper(Q(favicon__isnull=False), output_field=BooleanField()),
        )
        .first()
    )
    if row is None:
        return default_brand()
    # One line, printable: it is a <title>, a feed title and a calendar name.
    name = printable(row.site_name, multiline=False).strip()[:100]
    width, height = row.logo_width, row.logo_height
    if not (row.has_logo and 0 < width <= MAX_LOGO_SIDE and 0 < height <= MAX_LOGO_SIDE):
        width = height = 0
    stamp = row.updated_at.isoformat() if row.updated_at else ""
    return Brand(
        site_name=name or settings.CANDOR_PAGE_NAME,
        accent_light=_colour(row.accent_light),
        accent_dark=_colour(row.accent_dark),
        support_url=row.support_url if _SAFE_LINK.fullmatch(row.support_url) else "",
        logo_width=width,
        logo_height=height,
        has_favicon=bool(row.has_favicon),
        version=hashlib.blake2b(stamp.encode(), digest_size=6).hexdigest(),
    )


def _colour(value: str) -> str:
    return value.lower() if _HEX.fullmatch(value) else ""


def page_name() -> str:
    """The page's name, for renderers outside the HTML pages (feeds, calendar, v2 JSON)."""
    return current_brand().site_name
