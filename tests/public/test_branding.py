"""The branding on the public site: the pages, the generated stylesheet and images, the
feeds and v2 JSON, and what a hostile row (written by hand, past the service) does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from incidents.audit import Actor
from incidents.branding.service import branding_set
from incidents.models import Branding
from incidents.public import cache
from tests.branding.pngs import png
from tests.public.conftest import Layout

SYSTEM = Actor.system("test")
SUBSCRIBE_FILLED = (
    ".button--subscribe, .button--subscribe:hover {\n"
    "  background: var(--link);\n  border-color: var(--link);\n  color: var(--surface);\n}\n"
)


def _brand(**fields: Any) -> None:
    values = {"site_name": "Acme Cloud", "accent_light": "#0b6e4f", "accent_dark": "#7ee2b8",
              "support_url": "mailto:help@example.com"} | fields  # fmt: skip
    branding_set(actor=SYSTEM, **values)
    cache.public_changed()  # what the commit would do


def test_without_branding_the_page_links_no_brand_asset(layout: Layout) -> None:
    page = Client().get("/").content.decode()
    assert "/brand/" not in page and "Contact support" not in page
    assert '<link rel="icon" type="image/svg+xml" href="/static/candor/favicon.svg">' in page
    for path in ("/brand/style.css", "/brand/logo.png", "/brand/favicon.png"):
        assert Client().get(path).status_code == 404


def test_the_stylesheet_sets_the_accent_of_each_scheme(layout: Layout) -> None:
    _brand()
    page = Client().get("/").content.decode()
    href = re.search(r'<link rel="stylesheet" href="(/brand/style\.css\?v=[0-9a-f]+)">', page)
    assert href, page[:800]
    # After the stock stylesheet, so its --link wins.
    assert page.index("/static/candor/public.css") < page.index(href.group(1))
    response = Client().get(href.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response.content.decode() == (
        "/* Page branding, set in the console. */\n"
        ":root { --link: #0b6e4f; }\n"
        "@media (prefers-color-scheme: dark) {\n  :root { --link: #7ee2b8; }\n}\n"
        + SUBSCRIBE_FILLED
    )
    assert response["Cache-Control"].startswith("public, max-age=")
    again = Client().get("/brand/style.css", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_only_the_light_accent_leaves_the_dark_scheme_stock(layout: Layout) -> None:
    _brand(accent_dark="")
    css = Client().get("/brand/style.css").content.decode()
    assert "--link: #0b6e4f" in css and "prefers-color-scheme" not in css


def test_the_logo_and_favicon_are_served_as_pngs_with_their_size_in_the_page(
    layout: Layout,
) -> None:
    _brand(logo=png(150, 50), favicon=png(48, 48))
    page = Client().get("/incidents/nothing-here").content.decode()  # every page, 404 too
    assert re.search(
        r'<img class="brand__logo brand__logo--custom" src="/brand/logo\.png\?v=[0-9a-f]+" '
        r'alt="" width="150" height="50">\s*<span class="brand__name">Acme Cloud</span>',
        page,
    )
    assert re.search(r'<link rel="icon" type="image/png" href="/brand/favicon\.png\?v=', page)
    for path in ("/brand/logo.png", "/brand/favicon.png"):
        response = Client().get(path)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_the_asset_urls_change_with_every_save(layout: Layout) -> None:
    _brand()
    first = re.findall(r"style\.css\?v=([0-9a-f]+)", Client().get("/").content.decode())
    _brand(accent_light="#0858c2", now=timezone.now() + timezone.timedelta(seconds=1))
    second = re.findall(r"style\.css\?v=([0-9a-f]+)", Client().get("/").content.decode())
    assert first and second and first != second


def test_the_name_reaches_the_title_feeds_calendar_and_v2_json(layout: Layout) -> None:
    _brand()
    assert "<title>Incident history · Acme Cloud Status</title>" in (
        Client().get("/history").content.decode()
    )
    assert "<title>Acme Cloud status - Incident history</title>" in (
        Client().get("/history.atom").content.decode()
    )
    calendar = Client().get("/maintenance.ics").content.decode()
    assert "X-WR-CALNAME:Acme Cloud maintenance" in calendar
    summary = json.loads(Client().get("/api/v2/summary.json").content)
    assert summary["page"]["name"] == "Acme Cloud"


def test_the_page_keeps_its_content_security_policy(layout: Layout) -> None:
    _brand(logo=png())
    policy = Client().get("/")["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "img-src 'self' data:" in policy


HOSTILE = {
    "site_name": "</title><script>alert(1)</script>\x07\u202e",
    # Seven characters at most: the column's width.
    "accent_light": "red;}*{",
    "accent_dark": "#0;}</s",
    "support_url": "javascript:alert(document.cookie)",
    "logo_width": 10**9,
    "logo_height": 5,
}


@pytest.mark.parametrize("path", ["/", "/history", "/subscribe", "/history.atom"])
def test_a_hostile_row_written_by_hand_cannot_break_the_pages(layout: Layout, path: str) -> None:
    Branding.objects.create(**HOSTILE, logo=b"<svg onload=alert(1)>", updated_at=timezone.now())
    response = Client().get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>" not in body and "javascript:" not in body
    assert "\x07" not in body and "\u202e" not in body
    if path != "/history.atom":
        assert "/brand/style.css" not in body  # neither colour is #rrggbb: the stock ones
        assert "/brand/logo.png" not in body  # an impossible size: no logo
        assert "&lt;/title&gt;&lt;script&gt;" in body  # the name, escaped


def test_a_hostile_colour_never_reaches_the_stylesheet(layout: Layout) -> None:
    Branding.objects.create(
        accent_light="#0b6e4f", accent_dark="#f;}*{x", updated_at=timezone.now()
    )
    css = Client().get("/brand/style.css").content.decode()
    assert css == (
        "/* Page branding, set in the console. */\n:root { --link: #0b6e4f; }\n" + SUBSCRIBE_FILLED
    )
