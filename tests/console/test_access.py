"""Every console URL refuses anyone who is not signed-in staff, on GET and on POST."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, reverse

from incidents.console.urls import urlpatterns

# The sign-in page must be reachable to sign in; logout is tested on its own below, the
# single sign-on round trip in tests/sso/.
PUBLIC = {"login", "logout", "sso_start", "sso_callback"}
PROTECTED = [p for p in urlpatterns if isinstance(p, URLPattern) and p.name not in PUBLIC]


def _url(pattern: URLPattern) -> str:
    # A made-up id: the staff check runs before any lookup, so it never gets that far.
    kwargs = dict.fromkeys(pattern.pattern.converters, "doesnotexist")
    return reverse(f"console:{pattern.name}", kwargs=kwargs)


def test_every_console_view_is_covered() -> None:
    expected = {"dashboard", "incident_new", "incident_detail", "components", "audit", "preview"}
    assert expected <= {p.name for p in PROTECTED}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("pattern", PROTECTED, ids=lambda p: p.name)
def test_anonymous_visitor_is_sent_to_login(db: None, pattern: URLPattern, method: str) -> None:
    url = _url(pattern)
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login") + "?next=")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("pattern", PROTECTED, ids=lambda p: p.name)
def test_non_staff_user_is_refused(outsider: User, pattern: URLPattern, method: str) -> None:
    client = Client()
    client.force_login(outsider)
    response = getattr(client, method)(_url(pattern))
    assert response.status_code == 403
    assert b"Not a staff account" in response.content


def test_login_page_is_public(db: None) -> None:
    assert Client().get(reverse("console:login")).status_code == 200


def test_staff_can_sign_in_and_land_on_dashboard(responder: User) -> None:
    client = Client()
    response = client.post(
        reverse("console:login"),
        {"username": "rita", "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("console:dashboard")
    assert b"No open incidents" in response.content


def test_non_staff_sign_in_is_refused_with_a_clear_reason(outsider: User) -> None:
    client = Client()
    response = client.post(
        reverse("console:login"), {"username": "otto", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200
    assert b"not a staff account" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_ends_the_session(console: Client) -> None:
    assert console.get(reverse("console:logout")).status_code == 405
    response = console.post(reverse("console:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:login")
    assert console.get(reverse("console:dashboard")).status_code == 302


def test_console_pages_carry_no_inline_script_or_style(console: Client) -> None:
    for name in ["dashboard", "incident_new", "components", "maintenance_new", "audit"]:
        html = console.get(reverse(f"console:{name}")).content.decode()
        assert "<script>" not in html
        assert " style=" not in html
        assert " onclick=" not in html
