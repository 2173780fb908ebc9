"""Staff single sign-on in a real browser against a real OIDC provider (oidc-provider on
loopback): signing in with the mapped role, refusals, hostile claims, and the provider
stopped mid-session, when only break-glass accounts (password and TOTP) get in.

As in tests/e2e: the ORM is used before the browser starts and after it stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.live_server_helper import LiveServer

from incidents import roles, sso
from incidents.models import AuditAction, AuditEvent, SsoIdentity
from tests.conftest import staff_user
from tests.sso.conftest import OidcProvider

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct-horse-battery"  # tests.conftest.staff_user's

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's /usr/bin/chromium"),
]


def _at_provider(page: Page, live_server: LiveServer, login: str) -> Page:
    """From the console's login page to the provider: sign in there and consent."""
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: these are the provider's dev pages")
    page.click("button[type=submit]")
    page.click("button[type=submit]")  # consent: Continue
    return page


def _sso_sign_in(browser: Browser, live_server: LiveServer, login: str) -> Page:
    page = _at_provider(browser.new_context().new_page(), live_server, login)
    page.wait_for_url(f"{live_server.url}/console/**")
    return page


def test_staff_sign_in_through_the_provider_and_break_glass_while_it_is_down(
    live_server: LiveServer, oidc_provider: OidcProvider
) -> None:
    from playwright.sync_api import expect, sync_playwright

    staff_user("rita")  # a local account, not break-glass: SSO only now
    keeper = staff_user("keeper", roles.ADMIN)
    keeper.groups.add(Group.objects.get_or_create(name=roles.BREAK_GLASS)[0])
    device = TOTPDevice.objects.create(user=keeper, name="phone", confirmed=True)
    key = bytes.fromhex(device.key)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        alice = _sso_sign_in(browser, live_server, "alice")
        assert alice.url == f"{live_server.url}/console/"
        expect(alice.locator("body")).to_contain_text("alice")

        nobody = _sso_sign_in(browser, live_server, "nobody")
        assert nobody.url.startswith(f"{live_server.url}/console/login/")
        expect(nobody.get_by_role("alert")).to_contain_text("no group that gives a console role")

        mallory = _sso_sign_in(browser, live_server, "mallory")
        assert mallory.url == f"{live_server.url}/console/"

        # The provider fails to hand over the tokens: back on the login page, said plainly.
        oidc_provider.token_endpoint_failing()
        midway = _at_provider(browser.new_context().new_page(), live_server, "alice")
        midway.wait_for_url(f"{live_server.url}/console/login/")
        expect(midway.get_by_role("alert").first).to_contain_text(
            "the identity provider failed (it did not complete the sign-in (HTTP 503))"
        )

        # Then it goes down altogether, mid-session.
        oidc_provider.stop()
        late = browser.new_context().new_page()
        late.goto(f"{live_server.url}/console/login/")
        late.get_by_role("link", name="Sign in with single sign-on").click()
        late.wait_for_url(f"{live_server.url}/console/login/")
        expect(late.get_by_role("alert").first).to_contain_text("Single sign-on is not working")
        expect(late.get_by_test_id("sso-down")).to_contain_text("Break-glass accounts")

        # A local password that is not break-glass is refused while SSO is required.
        late.fill("input[name=username]", "rita")
        late.fill("input[name=password]", PASSWORD)
        late.click("form button[type=submit]")
        expect(late.locator(".form-errors")).to_contain_text(
            "This account signs in through single sign-on"
        )
        assert "/console/login/" in late.url

        # The break-glass account gets in with its password and TOTP code.
        late.fill("input[name=username]", "keeper")
        late.fill("input[name=password]", PASSWORD)
        late.fill("input[name=otp_token]", f"{totp(key):06d}")
        late.click("form button[type=submit]")
        late.wait_for_url(f"{live_server.url}/console/")
        expect(late.get_by_test_id("sso-failing")).to_contain_text("Single sign-on is failing")
        browser.close()

    alice_user = User.objects.get(sso_identities__subject="alice")
    assert alice_user.is_staff and not alice_user.has_usable_password()
    assert sorted(alice_user.groups.values_list("name", flat=True)) == [roles.RESPONDER]
    identity = SsoIdentity.objects.get(user=alice_user)
    assert identity.issuer == oidc_provider.issuer
    assert not SsoIdentity.objects.filter(subject="nobody").exists()

    mallory_user = User.objects.get(sso_identities__subject="mallory")
    assert mallory_user.username == "mallory"  # control and bidi characters dropped
    assert len(mallory_user.first_name) <= 150 and "\x1b" not in mallory_user.first_name
    assert mallory_user.email == ""  # a header injection is not an address
    assert sorted(mallory_user.groups.values_list("name", flat=True)) == [roles.RESPONDER]

    # SSO sessions are ordinary ones: no expiry of their own, so the local rules apply.
    sessions = [s.get_decoded() for s in Session.objects.all()]
    signed_in = [s for s in sessions if "_auth_user_id" in s]
    assert {s.get(sso.SESSION_KEY, False) for s in signed_in} == {True, False}
    assert all("_session_expiry" not in s for s in signed_in)

    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(AuditAction.SSO_SIGNED_IN) == 2
    assert AuditAction.SSO_REFUSED in actions
    assert AuditAction.SSO_PROVIDER_FAILED in actions
    signed_in = AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN, actor=alice_user).get()
    assert signed_in.data["roles"] == [roles.RESPONDER]
