"""The reader OIDC client without a browser: groups to audiences at every sign-in,
readers matched by issuer and subject, hostile claims, the callback's refusals, and the
client's own settings (tests/readers/test_readers_browser.py runs the whole flow)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Audience, AudienceMember, AuditAction, AuditEvent, Reader
from incidents.readers import oidc
from incidents.readers.oidc import ReaderOidcClient, claims_clean, reader_oidc_sign_in
from incidents.sso import SsoRefused

pytestmark = [pytest.mark.django_db]

ISSUER = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _reader_sso_on(settings: Any) -> None:
    settings.CANDOR_READER_OIDC_ISSUER = ISSUER
    settings.CANDOR_READER_OIDC_CLIENT_ID = "readers"
    settings.CANDOR_READER_OIDC_CLIENT_SECRET = "s" * 40
    Audience.objects.create(slug="employees", name="Employees", oidc_groups=["staff", "eng"])
    Audience.objects.create(slug="partners", name="Partners", oidc_groups=["partners"])
    Audience.objects.create(slug="nobody", name="No group")


def _sign_in(groups: list[str], sub: str = "u-1", issuer: str = ISSUER) -> oidc.OidcSignIn:
    claims = claims_clean(issuer, {"sub": sub, "email": "u@corp.example", "groups": groups})
    return reader_oidc_sign_in(claims=claims, now=timezone.now())


def test_groups_give_audiences_again_at_every_sign_in() -> None:
    first = _sign_in(["eng", "partners", "other"])
    assert first.audiences == ["employees", "partners"]
    second = _sign_in(["staff"])
    assert second.reader.pk == first.reader.pk and second.audiences == ["employees"]
    assert list(
        AudienceMember.objects.filter(reader=first.reader).values_list("audience__slug", flat=True)
    ) == ["employees"]
    with pytest.raises(SsoRefused, match="no group that may read a page"):
        _sign_in(["marketing"])
    assert not AudienceMember.objects.filter(reader=first.reader).exists()


def test_a_revoked_single_sign_on_reader_is_read_again_from_their_groups() -> None:
    signed = _sign_in(["eng"])
    AudienceMember.objects.update(revoked_at=timezone.now())
    assert _sign_in(["eng"]).audiences == ["employees"]
    assert AudienceMember.objects.get(reader=signed.reader).revoked_at is None


def test_readers_are_matched_by_issuer_and_subject_not_email() -> None:
    a = _sign_in(["eng"], sub="same")
    b = _sign_in(["eng"], sub="same", issuer="http://127.0.0.1:10")
    c = _sign_in(["eng"], sub="other")
    assert len({a.reader.pk, b.reader.pk, c.reader.pk}) == 3
    assert Reader.objects.filter(email="u@corp.example").count() == 3


@pytest.mark.parametrize("subject", ["", "a\x00b", "a\u202eb", "x" * 256, 12345, None], ids=str)
def test_an_unusable_subject_is_refused(subject: object) -> None:
    with pytest.raises(SsoRefused, match="unusable account identifier"):
        claims_clean(ISSUER, {"sub": subject, "groups": ["eng"]})


def test_hostile_claims_are_cleaned(settings: Any) -> None:
    settings.CANDOR_READER_OIDC_GROUPS_CLAIM = "roles"
    claims = claims_clean(
        ISSUER,
        {
            "sub": "m",
            "name": "\x1b[31mMal\u202elory" * 100_000,
            "email": "m@example.com\r\nBcc: x@example.com",
            "groups": ["eng"],  # not the configured claim
            "roles": ["partners", 7, None, {"a": 1}, "g" * 256, *["x"] * 1000],
        },
    )
    assert len(claims.name) <= 150 and "\x1b" not in claims.name and "\u202e" not in claims.name
    assert claims.email == ""
    assert claims.groups[0] == "partners" and len(claims.groups) <= oidc.MAX_GROUPS
    assert reader_oidc_sign_in(claims=claims, now=timezone.now()).audiences == ["partners"]


def test_the_reader_client_has_its_own_settings(settings: Any) -> None:
    settings.CANDOR_READER_OIDC_SCOPES = "openid email groups"
    client = ReaderOidcClient()
    assert client.OIDC_RP_CLIENT_ID == "readers" and client.configured_issuer() == ISSUER
    assert client.get_settings("OIDC_AUTHENTICATION_CALLBACK_URL") == "readers:oidc_callback"
    assert client.get_settings("OIDC_RP_SCOPES") == "openid email groups"
    assert client.get_settings("OIDC_USE_PKCE") is True  # the library's, shared with staff
    assert "incidents.readers" not in " ".join(settings.AUTHENTICATION_BACKENDS)


def test_the_callback_refuses_what_was_not_started_here() -> None:
    client = Client()
    for query in ("?code=c&state=never-issued", "?state=s", "?code=c"):
        response = client.get(reverse("readers:oidc_callback") + query)
        assert response.status_code == 403
        assert "not started here" in response.content.decode()
    answered = client.get(reverse("readers:oidc_callback") + "?error=access_denied\x1b[31m&state=x")
    assert answered.status_code == 403
    assert "did not sign you in (access_denied" in answered.content.decode()
    assert "\x1b" not in answered.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.READER_REFUSED).count() == 4


def test_a_provider_that_does_not_answer_is_said_so_and_links_remain() -> None:
    response = Client().get(reverse("readers:oidc_start"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Single sign-on is not working" in page and 'name="email"' in page


def test_reader_sign_on_is_off_without_an_issuer(settings: Any) -> None:
    settings.CANDOR_READER_OIDC_ISSUER = ""
    assert Client().get(reverse("readers:oidc_start")).status_code == 404
    assert Client().get(reverse("readers:oidc_callback")).status_code == 404
    page = Client().get(reverse("readers:sign_in")).content.decode()
    assert "Sign in with" not in page and 'name="email"' in page


def test_only_a_page_of_this_site_is_where_single_sign_on_returns() -> None:
    start = reverse("readers:oidc_start")
    page = Client().get(reverse("readers:sign_in") + "?next=/history").content.decode()
    assert f'href="{start}?next=/history"' in page
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example", "x"):
        page = Client().get(reverse("readers:sign_in"), {"next": elsewhere}).content.decode()
        assert f'href="{start}"' in page and "evil" not in page


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({}, None),
        ({"iss": "http://127.0.0.1:10"}, "another issuer"),
        ({"aud": "candor-console"}, "another client"),  # the staff client's token
        ({"nonce": "replayed"}, "Nonce"),
        ({"exp": 1700000001}, "expired"),
    ],
    ids=["good", "issuer", "staff-client", "nonce", "expired"],
)
def test_the_reader_client_checks_the_id_token_as_the_staff_one_does(
    change: dict[str, Any], refused: str | None
) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.core.exceptions import SuspiciousOperation

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client = ReaderOidcClient()
    client.OIDC_RP_IDP_SIGN_KEY = key.public_key()  # instead of the JWKS, for this test
    client._issuer = ISSUER
    claims = {
        "iss": ISSUER, "sub": "s", "aud": "readers",
        "nonce": "n-1", "exp": 4102444800, "iat": 1700000000, **change,
    }  # fmt: skip
    token = jwt.encode(claims, key, algorithm="RS256")
    if refused is None:
        assert client.verify_token(token, nonce="n-1")["sub"] == "s"
    else:
        with pytest.raises((SuspiciousOperation, jwt.InvalidTokenError), match=refused):
            client.verify_token(token, nonce="n-1")
