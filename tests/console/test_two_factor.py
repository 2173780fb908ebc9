"""Two-factor login with django-otp, recovery codes, and throttled sign-in."""

from __future__ import annotations

import re
import uuid
from base64 import b32encode
from unittest import mock

import segno
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import AuditEvent

LOGIN = "/console/login/"
PASSWORD = "correct-horse-battery"


def _code(device: TOTPDevice, *, step: int = 0) -> str:
    """What the authenticator app shows now, or `step` periods from now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=step)
    return f"{code:06d}"


def _sign_in(client: Client, password: str = PASSWORD, code: str = "", **extra: str) -> str:
    response = client.post(
        LOGIN, {"username": "rita", "password": password, "otp_token": code}, **extra
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


def _enrol(client: Client, responder: User) -> tuple[TOTPDevice, list[str]]:
    client.force_login(responder)
    client.get(reverse("console:two_factor"))
    device = TOTPDevice.objects.get(user=responder)
    html = client.post(reverse("console:two_factor"), {"token": _code(device)}).content.decode()
    device.refresh_from_db()
    codes = re.findall(r"<li><code>(\w+)</code></li>", html)
    client.logout()
    return device, codes


def test_enrolment_then_login_asks_for_the_code(responder: User) -> None:
    client = Client()
    device, codes = _enrol(client, responder)
    assert device.confirmed
    assert len(codes) == 10

    assert "Enter the code from your authenticator app" in _sign_in(client)
    # The code just used for enrolment cannot be replayed; the next one works.
    assert _sign_in(client, code=_code(device, step=1)) == "/console/"
    assert client.get("/console/").status_code == 200
    client.logout()
    assert "not valid" in _sign_in(client, code=_code(device, step=1))  # used already


def test_a_recovery_code_works_once(responder: User) -> None:
    client = Client()
    _, codes = _enrol(client, responder)

    assert _sign_in(client, code=codes[0]) == "/console/"
    client.logout()
    assert "not valid" in _sign_in(client, code=codes[0])


def test_the_setup_page_shows_the_key_as_an_inline_qr_code_and_in_writing(
    console: Client, responder: User
) -> None:
    with mock.patch("segno.make", wraps=segno.make) as make:
        page = console.get(reverse("console:two_factor")).content.decode()

    device = TOTPDevice.objects.get(user=responder, confirmed=False)
    [call] = make.call_args_list
    assert call.args[0] == device.config_url
    assert '<div class="qr" role="img"' in page and "<svg" in page
    assert "<img" not in page  # drawn in the page: nothing fetched, nothing sent elsewhere
    assert device.config_url not in page.split("<svg")[1].split("</svg>")[0]
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page


def _regenerate(client: Client, code: str) -> str:
    data = {"token": code, "submission_key": str(uuid.uuid4())}  # as the page sends it
    answer = client.post(reverse("console:recovery_codes"), data, follow=True)
    return answer.content.decode()


def test_new_recovery_codes_replace_the_old_ones_once_a_current_code_is_given(
    responder: User,
) -> None:
    client = Client()
    device, old = _enrol(client, responder)
    assert _sign_in(client, code=_code(device, step=1)) == "/console/"

    page = _regenerate(client, _code(device, step=2))

    new = re.findall(r"<li><code>(\w+)</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert "Your old recovery codes no longer work" in page
    assert (
        "Your new recovery codes" not in client.get(reverse("console:two_factor")).content.decode()
    )
    event = AuditEvent.objects.get(action="staff.recovery_codes_regenerated")
    assert (event.actor_label, event.target_id) == ("rita", str(responder.pk))
    client.logout()
    assert _sign_in(client, code=new[0]) == "/console/"
    client.logout()
    assert "not valid" in _sign_in(client, code=old[1])


def test_recovery_codes_stay_without_a_valid_current_code(responder: User) -> None:
    client = Client()
    device, old = _enrol(client, responder)
    assert _sign_in(client, code=_code(device, step=1)) == "/console/"

    for code in ["", "000000", _code(device, step=1), old[0]]:  # none, wrong, used, recovery
        page = _regenerate(client, code)
        assert "No new recovery codes" in page
        assert "Your new recovery codes" not in page

    assert not AuditEvent.objects.filter(action="staff.recovery_codes_regenerated").exists()
    device.refresh_from_db()
    # The first wrong code counted (its refusal committed); django-otp's delay after a
    # failure then refused the others before they could count.
    assert device.throttling_failure_count == 1
    client.logout()
    assert _sign_in(client, code=old[1]) == "/console/"


def test_enrolment_refuses_a_wrong_code(console: Client, responder: User) -> None:
    console.get(reverse("console:two_factor"))
    response = console.post(reverse("console:two_factor"), {"token": "12345"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.get(user=responder).confirmed


def test_without_two_factor_a_password_is_enough_unless_required(responder: User) -> None:
    client = Client()
    assert _sign_in(client) == "/console/"
    with override_settings(CANDOR_REQUIRE_2FA=True):
        assert client.get("/console/")["Location"] == reverse("console:two_factor")
        assert client.get(reverse("console:two_factor")).status_code == 200


@override_settings(CANDOR_REQUIRE_2FA=True)
def test_where_required_a_session_without_the_second_factor_signs_in_again(
    responder: User,
) -> None:
    client = Client()
    _enrol(client, responder)
    client.force_login(responder)  # a session that never gave a code

    assert client.get("/console/")["Location"].startswith(LOGIN)


@override_settings(CANDOR_LOGIN_FAILURES_ALLOWED=3)
def test_failed_sign_ins_are_throttled_per_username_and_address(responder: User) -> None:
    client = Client()
    for _ in range(3):
        assert "Please enter a correct username" in _sign_in(client, password="wrong")

    locked = _sign_in(client)  # even the right password, for now
    assert "Too many failed sign-ins" in locked
    assert "Try again in 15 minutes" in locked
    # Another address is not locked out by this one.
    assert _sign_in(Client(), REMOTE_ADDR="10.0.0.9") == "/console/"


def test_a_successful_sign_in_clears_the_count(responder: User) -> None:
    client = Client()
    for _ in range(4):
        _sign_in(client, password="wrong")
    assert _sign_in(client) == "/console/"
    client.logout()
    for _ in range(4):
        _sign_in(client, password="wrong")
    assert _sign_in(client) == "/console/"


@override_settings(CANDOR_REQUIRE_2FA=True)
def test_where_required_the_staff_api_refuses_a_session_without_the_second_factor(
    responder: User,
) -> None:
    client = Client()
    client.force_login(responder)  # a password-only session
    assert client.get("/api/staff/incidents/").status_code == 403

    _enrol(client, responder)
    device = TOTPDevice.objects.get(user=responder)
    assert _sign_in(client, code=_code(device, step=1)) == "/console/"
    assert client.get("/api/staff/incidents/").status_code == 200
