"""The staff API's branding endpoint: read by staff, set by Admins, the console's checks."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Branding
from tests.branding.pngs import SVG, png

URL = "/api/staff/branding/"
BODY = {
    "site_name": "Acme Cloud",
    "accent_light": "#0B6E4F",
    "accent_dark": "",
    "support_url": "mailto:help@example.com",
}


@pytest.fixture
def admin_api(admin: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    return client


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_without_branding_the_defaults_are_read(staff_api: APIClient) -> None:
    answer = staff_api.get(URL)
    assert answer.status_code == 200
    assert answer.json() == {
        "site_name": "Candor Demo", "accent_light": "", "accent_dark": "", "support_url": "",
        "logo_url": None, "logo_width": 0, "logo_height": 0, "favicon_url": None,
        "updated_at": None,
    }  # fmt: skip


def test_an_admin_sets_the_branding_with_a_logo(admin_api: APIClient) -> None:
    answer = admin_api.put(URL, {**BODY, "logo_png": _b64(png(60, 20))}, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert data["accent_light"] == "#0b6e4f"  # stored lower-case
    assert data["logo_url"].startswith("/brand/logo.png?v=")
    assert (data["logo_width"], data["logo_height"]) == (60, 20)
    # Omitted: kept. Null: removed.
    assert admin_api.put(URL, BODY, format="json").json()["logo_width"] == 60
    assert admin_api.put(URL, {**BODY, "logo_png": None}, format="json").json()["logo_url"] is None


def test_a_responder_may_read_but_not_set(staff_api: APIClient) -> None:
    assert staff_api.put(URL, BODY, format="json").status_code == 403
    assert not Branding.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"accent_dark": "#0858c2"}, "accent_dark", "has a contrast of 2.87:1"),
        ({"support_url": "javascript:alert(1)"}, "support_url", "Give an https:// address"),
        ({"logo_png": _b64(SVG)}, "logo_png", "SVG is not accepted"),
        ({"logo_png": "***"}, "logo_png", "Not valid base64."),
        ({"favicon_png": _b64(png(40, 20))}, "favicon_png", "must be square"),
        ({"site_name": "x" * 101}, "site_name", "at most 100 characters"),
    ],
)
def test_refusals_are_400_with_the_field_and_reason(
    admin_api: APIClient, changes: dict[str, str], field: str, reason: str
) -> None:
    answer = admin_api.put(URL, {**BODY, **changes}, format="json")
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert list(errors) == [field] and reason in errors[field][0], errors
    assert not Branding.objects.exists()
