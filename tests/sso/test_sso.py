"""Staff single sign-on without a browser: groups to roles, hostile claims, account
matching by issuer and subject, who may still use a password, and a provider that does
not answer. (tests/sso/test_sso_browser.py runs the whole flow against a real provider.)"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import roles, sso
from incidents.audit import Actor
from incidents.models import AuditAction, AuditEvent, SsoIdentity
from incidents.sso import ProviderDown, SsoRefused
from incidents.sso_oidc import CandorOidcBackend, discovery
from tests.conftest import staff_user
from tests.sso.conftest import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

ISSUER = "http://127.0.0.1:9"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _sso_on(settings: Any) -> None:
    settings.CANDOR_OIDC_ISSUER = ISSUER
    settings.CANDOR_OIDC_ROLES = [
        ("ops", "Responder"),
        ("admins", "Admin"),
        ("ops", "Communicator"),
    ]
    settings.CANDOR_SSO_REQUIRED = True


def _claims(sub: str = "abc-123", **extra: object) -> sso.Claims:
    return sso.claims_clean(ISSUER, {"sub": sub, "preferred_username": "alice", **extra})


def _roles_of(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_groups_map_to_roles_and_a_group_can_give_several() -> None:
    assert sso.mapped_roles(["ops", "unknown"]) == [roles.COMMUNICATOR, roles.RESPONDER]
    assert sso.mapped_roles(["admins"]) == [roles.ADMIN]
    assert sso.mapped_roles(["marketing"]) == []


def test_a_role_candor_does_not_have_is_a_configuration_error(settings: Any) -> None:
    settings.CANDOR_OIDC_ROLES = [("ops", "Superhero")]
    with pytest.raises(ImproperlyConfigured, match="Superhero"):
        sso.mapped_roles(["ops"])


def test_roles_are_re_evaluated_at_each_sign_in() -> None:
    user = sso.sign_in(claims=_claims(groups=["admins"]), ip="127.0.0.1")
    assert _roles_of(user) == [roles.ADMIN]
    assert user.is_staff and not user.has_usable_password()
    user.groups.add(Group.objects.get_or_create(name=roles.BREAK_GLASS)[0])

    again = sso.sign_in(claims=_claims(groups=["ops"]), ip="127.0.0.1")
    assert again.pk == user.pk
    # Roles follow the groups; the break-glass mark is not a role and stays.
    assert _roles_of(again) == [roles.BREAK_GLASS, roles.COMMUNICATOR, roles.RESPONDER]

    with pytest.raises(SsoRefused, match="no group that gives a console role"):
        sso.sign_in(claims=_claims(groups=["marketing"]), ip="127.0.0.1")
    assert _roles_of(user) == [roles.BREAK_GLASS]  # withdrawn, not kept for a stale session
    events = AuditEvent.objects.filter(action=AuditAction.SSO_SIGNED_IN)
    assert [e.data["roles"] for e in events.order_by("at", "pk")] == [
        [roles.ADMIN],
        [roles.COMMUNICATOR, roles.RESPONDER],
    ]


def test_accounts_are_matched_by_issuer_and_subject_never_by_email_or_name() -> None:
    local = staff_user("alice", roles.ADMIN)  # same name and email as the provider's alice
    user = sso.sign_in(claims=_claims(email="alice@example.com", groups=["ops"]), ip=None)
    assert user.pk != local.pk and user.username.startswith("alice-")
    other_issuer = sso.claims_clean("http://127.0.0.1:10", {"sub": "abc-123", "groups": ["ops"]})
    assert sso.sign_in(claims=other_issuer, ip=None).pk != user.pk
    assert SsoIdentity.objects.count() == 2
    assert _roles_of(local) == [roles.ADMIN]


@pytest.mark.parametrize(
    "subject",
    ["", "a\x00b", "a\u202eb", "x" * 256, 12345, None, ["abc"]],
    ids=["empty", "nul", "bidi", "too-long", "number", "missing", "list"],
)
def test_an_unusable_subject_is_refused(subject: object) -> None:
    with pytest.raises(SsoRefused, match="unusable account identifier"):
        sso.claims_clean(ISSUER, {"sub": subject})


def test_hostile_claims_are_cleaned() -> None:
    claims = sso.claims_clean(
        ISSUER,
        {
            "sub": "s-1",
            "name": "\x1b[31mMal\u202elory" * 100_000,  # a megabyte and more
            "preferred_username": "mal\u202elory\x07<script>",
            "email": "m@example.com\r\nBcc: x@example.com",
            "groups": ["ops", 7, None, {"a": 1}, "g" * 256, *["x"] * 1000],
        },
    )
    assert len(claims.name) <= 150 and "\x1b" not in claims.name and "\u202e" not in claims.name
    assert claims.username == "mallory" + "script"
    assert claims.email == ""
    assert claims.groups[0] == "ops" and len(claims.groups) <= sso.MAX_GROUPS
    assert all(isinstance(g, str) and len(g) <= 255 for g in claims.groups)
    user = sso.sign_in(claims=claims, ip=None)
    assert _roles_of(user) == [roles.COMMUNICATOR, roles.RESPONDER]


def test_a_password_is_for_break_glass_accounts_with_two_factor_only(settings: Any) -> None:
    rita = staff_user("rita", roles.RESPONDER)
    assert sso.local_sign_in_refusal(rita) is not None
    rita.groups.add(Group.objects.get_or_create(name=roles.BREAK_GLASS)[0])
    assert "two-factor" in (sso.local_sign_in_refusal(rita) or "")
    TOTPDevice.objects.create(user=rita, name="phone", confirmed=True)
    assert sso.local_sign_in_refusal(rita) is None

    settings.CANDOR_SSO_REQUIRED = False
    assert sso.local_sign_in_refusal(staff_user("sam")) is None


def test_the_login_form_refuses_a_password_while_sso_is_required() -> None:
    staff_user("rita", roles.RESPONDER)
    response = Client().post(reverse("console:login"), {"username": "rita", "password": PASSWORD})
    assert response.status_code == 200
    assert "This account signs in through single sign-on" in response.content.decode()
    assert "_auth_user_id" not in Client().session


def test_an_admin_marks_break_glass_and_it_is_audited() -> None:
    admin = staff_user("ada", roles.ADMIN)
    rita = staff_user("rita", roles.RESPONDER)
    sso.break_glass_set(actor=Actor.staff(admin, channel="console"), user=rita, on=True)
    assert sso.is_break_glass(rita)
    with pytest.raises(PermissionError):
        sso.break_glass_set(actor=Actor.staff(rita, channel="console"), user=rita, on=False)
    sso.break_glass_set(actor=Actor.staff(admin, channel="console"), user=rita, on=False)
    assert not sso.is_break_glass(rita)
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS_SET).count() == 2


def test_a_provider_that_does_not_answer_is_down_and_shown(settings: Any) -> None:
    settings.CANDOR_OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # nothing listens
    with pytest.raises(ProviderDown, match="no connection"):
        discovery()
    response = Client().get(reverse("console:sso_start"))
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    assert sso.health().failing
    page = Client().get(reverse("console:login")).content.decode()
    assert "Single sign-on is not working right now" in page
    assert "Break-glass accounts sign in below" in page
    assert AuditEvent.objects.filter(action=AuditAction.SSO_PROVIDER_FAILED).count() == 1

    sso.sign_in(claims=_claims(groups=["ops"]), ip=None)
    assert not sso.health().failing  # a sign-in since: it works again


def test_sso_off_means_no_sso_pages(settings: Any) -> None:
    settings.CANDOR_OIDC_ISSUER = ""
    assert Client().get(reverse("console:sso_start")).status_code == 404
    assert Client().get(reverse("console:sso_callback")).status_code == 404
    assert "single sign-on" not in Client().get(reverse("console:login")).content.decode()
    assert sso.local_sign_in_refusal(staff_user("rita")) is None


def test_a_hostile_error_from_the_provider_is_refused_and_cleaned() -> None:
    error = "access_denied\x00\u202e<script>" + "x" * 1_000_000
    response = Client().get(reverse("console:sso_callback"), {"error": error, "state": "s"})
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    event = AuditEvent.objects.get(action=AuditAction.SSO_REFUSED)
    assert len(event.summary) <= 300 and "\x00" not in event.summary
    assert "\u202e" not in event.data["reason"]


def test_a_callback_whose_state_this_session_did_not_start_is_refused() -> None:
    client = Client()
    session = client.session
    session["oidc_states"] = {"started-here": {"nonce": "n", "code_verifier": "v"}}
    session.save()
    response = client.get(reverse("console:sso_callback"), {"code": "c", "state": "forged"})
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    assert AuditEvent.objects.filter(action=AuditAction.SSO_REFUSED).count() == 1
    assert "_auth_user_id" not in client.session


def _backend_with_key() -> tuple[CandorOidcBackend, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    backend = CandorOidcBackend()
    backend.OIDC_RP_IDP_SIGN_KEY = key.public_key()  # instead of the JWKS, for this test
    backend._issuer = ISSUER
    backend.OIDC_RP_CLIENT_ID = "candor"
    return backend, key


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({}, None),
        ({"iss": "http://127.0.0.1:10"}, "another issuer"),
        ({"aud": "another-client"}, "another client"),
        ({"aud": ["another-client", "x"]}, "another client"),
        ({"nonce": "replayed"}, "Nonce"),
    ],
    ids=["good", "issuer", "audience", "audiences", "nonce"],
)
def test_the_id_token_is_checked_for_issuer_audience_and_nonce(
    change: dict[str, Any], refused: str | None
) -> None:
    backend, key = _backend_with_key()
    claims = {
        "iss": ISSUER, "sub": "s", "aud": "candor",
        "nonce": "n-1", "exp": 4102444800, "iat": 1700000000, **change,
    }  # fmt: skip
    token = jwt.encode(claims, key, algorithm="RS256")
    if refused is None:
        assert backend.verify_token(token, nonce="n-1")["sub"] == "s"
    else:
        with pytest.raises(SuspiciousOperation, match=refused):
            backend.verify_token(token, nonce="n-1")


def test_the_staff_page_shows_and_offers_the_break_glass_mark() -> None:
    admin = staff_user("ada", roles.ADMIN)
    rita = staff_user("rita", roles.RESPONDER)
    client = Client()
    client.force_login(admin)
    url = reverse("console:staff_break_glass", args=["rita"])
    page = client.get(reverse("console:staff")).content.decode()
    assert url in page and "Mark break-glass" in page and "Remove break-glass" not in page
    sso.break_glass_set(actor=Actor.staff(admin, channel="console"), user=rita, on=True)
    page = client.get(reverse("console:staff")).content.decode()
    assert "Remove break-glass" in page


def test_an_sso_session_stands_for_the_second_factor(settings: Any) -> None:
    settings.CANDOR_REQUIRE_2FA = True
    user = sso.sign_in(claims=_claims(groups=["ops"]), ip=None)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    local, single = Client(), Client()
    local.force_login(user)
    single.force_login(user)
    session = single.session
    session[sso.SESSION_KEY] = True
    session.save()
    assert local.get(reverse("console:dashboard")).status_code == 302  # a code is wanted
    assert single.get(reverse("console:dashboard")).status_code == 200
