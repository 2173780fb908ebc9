"""Setting the page branding: validate, store, audit, republish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.branding import images
from incidents.branding.accent import accent_problem
from incidents.models import AuditAction, Branding
from incidents.public.cache import public_changed
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump
from incidents.text import text_problem

MAX_NAME_LENGTH = 100
MAX_URL_LENGTH = 500


@dataclass(frozen=True)
class Keep:
    """An image field left as it is (the form sent no new file and did not remove it)."""


KEEP = Keep()
# For an image: KEEP, None (remove it) or the uploaded bytes.
ImageChange = Keep | bytes | None


def support_url_problem(value: str) -> str | None:
    """Why `value` cannot be the support link (https or mailto only), or None."""
    if problem := text_problem(value, max_len=MAX_URL_LENGTH):
        return f"This text {problem}"
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme == "mailto":
        address = value[len("mailto:") :]
        try:
            validate_email(address)
        except ValidationError:
            return "Give mailto: followed by one email address, such as mailto:help@example.com."
        return None
    if scheme != "https":
        return "Give an https:// address or mailto: followed by an email address."
    try:
        URLValidator(schemes=["https"])(value)
    except ValidationError:
        return "This is not a valid https:// address."
    if urlsplit(value).username is not None:
        return "Leave the user name and password out of the address."
    return None


def branding_set(
    *,
    actor: Actor,
    site_name: str,
    accent_light: str,
    accent_dark: str,
    support_url: str,
    logo: ImageChange = KEEP,
    favicon: ImageChange = KEEP,
    now: datetime | None = None,
) -> Branding:
    """Store the page branding; an empty field means Candor's default. Republishes."""
    roles.require_permission(actor, roles.MANAGE_BRANDING)
    now = now or timezone.now()
    site_name, support_url = site_name.strip(), support_url.strip()
    accent_light, accent_dark = accent_light.strip().lower(), accent_dark.strip().lower()
    errors: dict[str, list[str]] = {}
    if problem := text_problem(site_name, max_len=MAX_NAME_LENGTH):
        errors["site_name"] = [f"This text {problem}"]
    for field, colour, scheme in (
        ("accent_light", accent_light, "light"),
        ("accent_dark", accent_dark, "dark"),
    ):
        if colour and (problem := accent_problem(colour, scheme)):
            errors[field] = [problem]
    if support_url and (problem := support_url_problem(support_url)):
        errors["support_url"] = [problem]
    checked: dict[str, images.CheckedPng | None] = {}
    for field, change, limits in (
        ("logo", logo, images.LOGO),
        ("favicon", favicon, images.FAVICON),
    ):
        if isinstance(change, bytes):
            try:
                checked[field] = images.png_checked(change, limits)
            except images.ImageRefused as refused:
                errors[field] = [str(refused)]
        elif change is None:
            checked[field] = None
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # Two first saves at once: get_or_create lets one insert and the other find it;
        # the lock then orders them, the later one winning whole.
        Branding.objects.get_or_create(pk=Branding.SINGLETON)
        row = Branding.objects.select_for_update().get(pk=Branding.SINGLETON)
        row.site_name, row.support_url = site_name, support_url
        row.accent_light, row.accent_dark = accent_light, accent_dark
        if "logo" in checked:
            new_logo = checked["logo"]
            row.logo = new_logo.data if new_logo else None
            row.logo_width = new_logo.width if new_logo else 0
            row.logo_height = new_logo.height if new_logo else 0
        if "favicon" in checked:
            new_favicon = checked["favicon"]
            row.favicon = new_favicon.data if new_favicon else None
        row.updated_at = now
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.BRANDING_SET,
            target=row,
            summary="Page branding changed",
            at=now,
            data={
                "site_name": site_name,
                "accent_light": accent_light,
                "accent_dark": accent_dark,
                "support_url": support_url,
                "logo": _image_note(checked, "logo"),
                "favicon": _image_note(checked, "favicon"),
            },
        )
        # A public change like any other: the site version moves with it, the live pages'
        # cache is invalidated and the static copies are republished after the commit.
        site_version_bump(now=now)
        transaction.on_commit(public_changed)
        transaction.on_commit(request_publish, robust=True)
    return row


def _image_note(checked: dict[str, images.CheckedPng | None], field: str) -> str:
    if field not in checked:
        return "kept"
    image = checked[field]
    if image is None:
        return "removed"
    return f"set ({image.width}x{image.height}, {len(image.data)} B)"
