"""Page branding in the console: Admins only, every refusal beside its field, and a save
that reaches the public page at once."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from incidents import roles
from incidents.models import AuditAction, AuditEvent, Branding
from incidents.publish.versions import site_version
from tests.branding.pngs import SVG, jpeg, png
from tests.conftest import staff_user

URL = "/console/branding/"
GOOD = {
    "site_name": "Acme Cloud",
    "accent_light": "#0b6e4f",
    "accent_dark": "#7ee2b8",
    "support_url": "https://support.example.com/contact",
}


@pytest.fixture
def admin_console(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


_capture: Any = None


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks: Any) -> Iterator[None]:
    """Saves run what they queue for after their commit (the live cache's invalidation,
    the publish), as outside a test's transaction."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield
    _capture = None


def _post(client: Client, data: dict[str, object] | None = None, **changes: object) -> Any:
    with _capture(execute=True):
        return client.post(URL, data if data is not None else {**GOOD, **changes})


def test_an_admin_sets_the_branding_and_the_public_page_shows_it_at_once(
    admin_console: Client,
) -> None:
    before = site_version()
    Client().get("/")  # the live page is cached: the save must invalidate it
    response = _post(
        admin_console,
        logo=SimpleUploadedFile("logo.png", png(120, 40), "image/png"),
        favicon=SimpleUploadedFile("icon.png", png(32, 32), "image/png"),
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    row = Branding.objects.get()
    assert (row.site_name, row.accent_light, row.accent_dark) == (
        "Acme Cloud", "#0b6e4f", "#7ee2b8"
    )  # fmt: skip
    assert (row.logo_width, row.logo_height) == (120, 40)
    assert site_version() == before + 1
    event = AuditEvent.objects.get(action=AuditAction.BRANDING_SET)
    assert event.actor_label == "ada" and event.data["logo"].startswith("set (120x40")

    page = Client().get("/").content.decode()
    assert "<title>Acme Cloud Status</title>" in page
    assert '<img class="brand__logo brand__logo--custom" src="/brand/logo.png?v=' in page
    assert '<link rel="icon" type="image/png" href="/brand/favicon.png?v=' in page
    support = '<a href="https://support.example.com/contact" rel="noopener">Contact support</a>'
    assert support in page


def test_the_console_menu_leads_to_the_branding_page_through_publishing(
    admin_console: Client,
) -> None:
    # Thirteen entries fill the menu at 1280 px (tests/e2e/test_console_layout.py): the
    # public page's settings share one, with a link to each other.
    dashboard = admin_console.get("/console/").content.decode()
    assert '<a href="/console/publishing/">Publishing</a>' in dashboard
    publishing = admin_console.get("/console/publishing/").content.decode()
    assert f'<a href="{URL}">Branding</a>' in publishing
    page = admin_console.get(URL).content.decode()
    assert '<a href="/console/publishing/" aria-current="page">Publishing</a>' in page
    assert "Save the branding" in page


@pytest.mark.parametrize("role", [None, roles.RESPONDER, roles.COMMUNICATOR, roles.APPROVER_LEGAL])
def test_only_admins_may_change_the_branding(db: None, role: str | None) -> None:
    user = staff_user("nora", *([role] if role else []))
    client = Client()
    client.force_login(user)
    assert "Only Admins can change the branding." in client.get(URL).content.decode()
    assert _post(client).status_code == 403  # type: ignore[attr-defined]
    assert not Branding.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        (
            {"accent_light": "#f2c744"},
            "accent_light",
            "#f2c744 has a contrast of 1.51:1 against the light scheme's page background "
            "(#f6f8fa); links and buttons need at least 4.5:1 (WCAG AA).",
        ),
        (
            {"accent_dark": "#0858c2"},
            "accent_dark",
            "#0858c2 has a contrast of 2.87:1 against the dark scheme's page background "
            "(#0d1117); links and buttons need at least 4.5:1 (WCAG AA).",
        ),
        (
            {"accent_light": "blue"},
            "accent_light",
            "Give the colour as # and six hex digits, such as #0858c2.",
        ),
        (
            {"support_url": "javascript:alert(1)"},
            "support_url",
            "Give an https:// address or mailto: followed by an email address.",
        ),
        (
            {"support_url": "http://support.example.com/"},
            "support_url",
            "Give an https:// address or mailto: followed by an email address.",
        ),
        (
            {"support_url": "mailto:not an address"},
            "support_url",
            "Give mailto: followed by one email address, such as mailto:help@example.com.",
        ),
        (
            {"support_url": "https://user:pw@support.example.com/"},
            "support_url",
            "Leave the user name and password out of the address.",
        ),
        (
            {"site_name": "Acme\u202eduolC"},
            "site_name",
            "This text contains the bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE), "
            "which reorders text.",
        ),
        (
            {"logo": SimpleUploadedFile("logo.svg", SVG, "image/svg+xml")},
            "logo",
            "SVG is not accepted: it can carry scripts. Export the image as a PNG.",
        ),
        (
            {"logo": SimpleUploadedFile("logo.png", jpeg(), "image/png")},
            "logo",
            "Upload a PNG image; this file is a JPEG.",
        ),
        (
            {"favicon": SimpleUploadedFile("f.png", png(48, 32), "image/png")},
            "favicon",
            "A favicon must be square; this one is 48 x 32 pixels.",
        ),
        (
            {"logo": SimpleUploadedFile("big.png", png() + b"\0" * 300_000, "image/png")},
            "logo",
            "The file is 293 KB; at most 256 KB is accepted.",
        ),
    ],
)
def test_each_refusal_is_shown_beside_its_field_and_nothing_is_saved(
    admin_console: Client, changes: dict[str, object], field: str, reason: str
) -> None:
    before = site_version()
    response = _post(admin_console, **changes)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.context["form"].errors[field] == [reason]  # type: ignore[attr-defined]
    assert reason in _text(response)
    assert not Branding.objects.exists()
    assert site_version() == before


def test_emptying_the_fields_and_removing_the_images_restores_the_stock_page(
    admin_console: Client,
) -> None:
    # The clock stands still, so the footer's "Page generated" time cannot differ.
    with time_machine.travel(timezone.now(), tick=False):
        _stock_page_restored(admin_console)


def _stock_page_restored(admin_console: Client) -> None:
    stock = Client().get("/").content
    _post(
        admin_console,
        logo=SimpleUploadedFile("logo.png", png(), "image/png"),
        favicon=SimpleUploadedFile("icon.png", png(32, 32), "image/png"),
    )
    assert Client().get("/").content != stock
    response = _post(
        admin_console,
        {"site_name": "", "accent_light": "", "accent_dark": "", "support_url": "",
         "remove_logo": "on", "remove_favicon": "on"},
    )  # fmt: skip
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert Client().get("/").content == stock


def test_a_save_without_a_new_file_keeps_the_logo(admin_console: Client) -> None:
    _post(admin_console, logo=SimpleUploadedFile("logo.png", png(90, 30), "image/png"))
    _post(admin_console, site_name="Acme")
    row = Branding.objects.get()
    assert row.site_name == "Acme" and (row.logo_width, row.logo_height) == (90, 30)
    assert row.logo is not None
