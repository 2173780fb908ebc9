"""Readers invited by email: the invitation's link through a real SMTP server (aiosmtpd),
single use, expiry, forgery, the "send me a new link" form that tells nobody who is
invited, the `candor_reader` session (the contract with incidents/audiences/), sign-out,
revocation at the next request, and CSRF. Also run on SQLite (`make run`)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from incidents.audit import Actor
from incidents.models import (
    Audience,
    AudienceMember,
    AuditAction,
    AuditEvent,
    Reader,
    ReaderInvitation,
    ReaderLink,
)
from incidents.readers import audiences, links
from incidents.readers.session import READER_PK_KEY, SESSION_KEY
from tests.notify.peers import SmtpSink
from tests.readers.conftest import link_path

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture
def acme() -> Audience:
    return Audience.objects.create(slug="customer-acme", name="Customer ACME")


def _invite(admin: User, audience: Audience, email: str, capture: Any) -> None:
    with capture(execute=True):
        audiences.reader_invite(
            actor=Actor.staff(admin, channel="console"),
            audience=audience,
            email=email,
            now=timezone.now(),
        )


def _sign_in(client: Client, path: str) -> Any:
    assert client.get(path).status_code == 200  # the page with the button spends nothing
    return client.post(path)


def test_an_invited_customer_signs_in_once_through_the_emailed_link(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "carol@ACME.example", django_capture_on_commit_callbacks)
    [message] = smtp.to("carol@acme.example")  # the domain lower-cased, the local part kept
    assert message["Subject"] == "Your invitation to Customer ACME on Candor Demo"
    path = link_path(smtp, "carol@acme.example")

    client = Client()
    client.get(reverse("readers:sign_in"))
    before = client.session.session_key
    response = _sign_in(client, path)
    assert response.status_code == 302 and response["Location"] == reverse("readers:sign_in")
    value = client.session[SESSION_KEY]
    assert set(value) == {"email", "audiences", "via", "expires_at"}
    assert value["email"] == "carol@acme.example"
    assert value["audiences"] == ["customer-acme"] and value["via"] == "link"
    expires_at = datetime.fromisoformat(value["expires_at"])
    assert expires_at.utcoffset() == timedelta(0)
    assert timedelta(hours=7) < expires_at - datetime.now(UTC) <= timedelta(hours=8)
    assert client.session.session_key != before  # a planted key is worth nothing
    assert "_auth_user_id" not in client.session  # not a staff login
    assert not User.objects.filter(email="carol@acme.example").exists()
    page = client.get(reverse("readers:sign_in")).content.decode()
    assert "Signed in as carol@acme.example" in page and "customer-acme" in page

    invitation = ReaderInvitation.objects.get()
    assert invitation.accepted_at is not None
    member = AudienceMember.objects.get()
    assert member.reader.email == "carol@acme.example" and member.via == "link"
    assert AuditEvent.objects.filter(action=AuditAction.READER_INVITED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.READER_SIGNED_IN).count() == 1

    # The same link again, in another browser: refused, clearly.
    replay = Client().post(path)
    assert replay.status_code == 403
    assert "already been used" in replay.content.decode()
    assert Client().get(path).status_code == 403


def test_the_emailed_validity_is_a_plural_in_the_language_of_the_message() -> None:
    """ "expires in 1 day", "2 days": each language's plural rules, not "day(s)"."""
    assert [links._duration(s) for s in (86400, 2 * 86400, 3600, 1800)] == [
        "1 day", "2 days", "1 hour", "30 minutes",
    ]  # fmt: skip
    with translation.override("de"):
        assert [links._duration(s) for s in (86400, 2 * 86400, 60)] == [
            "1 Tag", "2 Tagen", "1 Minute",
        ]  # fmt: skip
    with translation.override("ar"):  # six forms: 2 is the dual, 3 to 10 the plural
        assert [links._duration(s) for s in (7200, 3 * 3600)] == ["2 ساعتان", "3 ساعات"]


def test_an_expired_link_and_a_tampered_one_are_refused(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "dan@acme.example", django_capture_on_commit_callbacks)
    path = link_path(smtp, "dan@acme.example")
    token = path.removeprefix("/reader/link/").removesuffix("/")

    forged = signing.dumps([ReaderLink.objects.get().pk, "guessed-secret"], salt=links.SALT)
    other_key = signing.dumps(
        [ReaderLink.objects.get().pk, "x"], key="not-the-key", salt=links.SALT
    )
    for bad in (token[:-2] + "xx", token.replace(":", "x", 1), forged, other_key, "a" * 400):
        response = Client().post(reverse("readers:link", args=[bad]))
        assert response.status_code == 403, bad
        assert "not valid" in response.content.decode()

    ReaderLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(path)
    assert response.status_code == 403 and "expired" in response.content.decode()
    assert ReaderLink.objects.get().used_at is None
    assert not Reader.objects.exists()
    refusals = AuditEvent.objects.filter(action=AuditAction.READER_REFUSED)
    assert refusals.count() == 6 and {e.channel for e in refusals} == {"reader"}


def test_a_new_link_is_sent_to_invited_addresses_and_the_answer_is_the_same_for_any(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "erin@acme.example", django_capture_on_commit_callbacks)
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("erin@acme.example", "nobody@acme.example"):
            answers.append(Client().post(reverse("readers:sign_in"), {"email": email}))
    assert [a.status_code for a in answers] == [200, 200]
    # The same page for both, but for the time it was generated.
    bodies = [re.sub(r'<p class="updated">.*?</p>', "", a.content.decode()) for a in answers]
    assert bodies[0] == bodies[1]
    assert "If this address is invited" in answers[0].content.decode()
    assert len(smtp.to("erin@acme.example")) == 2 and smtp.to("nobody@acme.example") == []
    assert smtp.to("erin@acme.example")[1]["Subject"] == "Your sign-in link for Candor Demo"
    link = ReaderLink.objects.order_by("-pk").first()
    assert link is not None and link.expires_at - link.created_at == timedelta(minutes=30)

    response = _sign_in(Client(), link_path(smtp, "erin@acme.example"))
    assert response.status_code == 302


def test_asking_for_links_is_rate_limited(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "fay@acme.example", django_capture_on_commit_callbacks)
    client = Client(REMOTE_ADDR="198.51.100.7")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(links.LINKS_PER_EMAIL + 2):
            assert (
                client.post(reverse("readers:sign_in"), {"email": "fay@acme.example"}).status_code
                == 200
            )
    # One invitation and LINKS_PER_EMAIL links: a flood is not passed on to the inbox.
    assert len(smtp.to("fay@acme.example")) == 1 + links.LINKS_PER_EMAIL
    for n in range(links.REQUESTS_PER_IP - links.LINKS_PER_EMAIL - 2):
        client.post(reverse("readers:sign_in"), {"email": f"x{n}@example.com"})
    limited = client.post(reverse("readers:sign_in"), {"email": "fay@acme.example"})
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert "Too many links" in limited.content.decode()


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not an address",
        "a@b.example\r\nBcc: x@example.com",
        "a\u202e@example.com",
        "x" * 250 + "@example.com",
        "<script>@example.com",
    ],
    ids=["empty", "words", "header-injection", "bidi", "too-long", "markup"],
)
def test_hostile_addresses_are_refused_at_the_form(email: str) -> None:
    response = Client().post(reverse("readers:sign_in"), {"email": email})
    assert response.status_code == 400
    assert "<script>@" not in response.content.decode()
    assert not ReaderLink.objects.exists()


def test_sign_out_ends_the_reader_session_and_keeps_a_staff_login(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "gil@acme.example", django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(admin)  # the same browser is also signed in to the console
    _sign_in(client, link_path(smtp, "gil@acme.example"))
    assert SESSION_KEY in client.session
    assert client.session["_auth_user_id"] == str(admin.pk)
    response = client.post(reverse("readers:sign_out"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session and READER_PK_KEY not in client.session
    assert client.session["_auth_user_id"] == str(admin.pk)
    assert client.get(reverse("readers:sign_out")).status_code == 405
    assert AuditEvent.objects.filter(action=AuditAction.READER_SIGNED_OUT).count() == 1


def test_a_revoked_member_loses_the_audience_at_the_next_request_and_cannot_come_back(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    beta = Audience.objects.create(slug="beta", name="Beta testers")
    _invite(admin, acme, "hal@acme.example", django_capture_on_commit_callbacks)
    _invite(admin, beta, "hal@acme.example", django_capture_on_commit_callbacks)
    client = Client()
    _sign_in(client, link_path(smtp, "hal@acme.example"))
    assert client.session[SESSION_KEY]["audiences"] == ["beta", "customer-acme"]

    member = AudienceMember.objects.get(audience=acme)
    audiences.member_revoke(
        actor=Actor.staff(admin, channel="console"), member=member, now=timezone.now()
    )
    client.get(reverse("readers:sign_in"))
    assert client.session[SESSION_KEY]["audiences"] == ["beta"]
    audiences.member_revoke(
        actor=Actor.staff(admin, channel="console"),
        member=AudienceMember.objects.get(audience=beta),
        now=timezone.now(),
    )
    client.get(reverse("readers:sign_in"))
    assert SESSION_KEY not in client.session

    # Neither the unused first link nor a new one lets them back in...
    response = Client().post(link_path(smtp, "hal@acme.example", index=0))
    assert response.status_code == 403 and "no longer invited" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("readers:sign_in"), {"email": "hal@acme.example"})
    assert len(smtp.to("hal@acme.example")) == 2  # nothing more sent
    # ...a new invitation does.
    _invite(admin, acme, "hal@acme.example", django_capture_on_commit_callbacks)
    again = Client()
    _sign_in(again, link_path(smtp, "hal@acme.example"))
    assert again.session[SESSION_KEY]["audiences"] == ["customer-acme"]


def test_an_expired_reader_session_is_gone_at_the_next_request(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "ivy@acme.example", django_capture_on_commit_callbacks)
    client = Client()
    _sign_in(client, link_path(smtp, "ivy@acme.example"))
    session = client.session
    past = (timezone.now() - timedelta(seconds=1)).astimezone(UTC).isoformat()
    session[SESSION_KEY] = {**session[SESSION_KEY], "expires_at": past}
    session.save()
    client.get(reverse("readers:sign_in"))
    assert SESSION_KEY not in client.session


def test_the_reader_forms_take_a_csrf_token(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    _invite(admin, acme, "jo@acme.example", django_capture_on_commit_callbacks)
    path = link_path(smtp, "jo@acme.example")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path).status_code == 403
    assert ReaderLink.objects.get().used_at is None  # refused before it was spent
    assert strict.post(reverse("readers:sign_in"), {"email": "jo@acme.example"}).status_code == 403
    assert strict.post(reverse("readers:sign_out")).status_code == 403
    page = strict.get(path)
    token = page.cookies["csrftoken"].value
    assert strict.post(path, {"csrfmiddlewaretoken": token}).status_code == 302


# transaction=True: the request ends with request_finished, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_reader_cookie_on_the_lean_public_read_path_is_no_error(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    """statuspage/public_wsgi.py runs every middleware but the session ones: the reader's
    check then has no session to read, and the page answers as for anyone."""
    from statuspage.public_wsgi import PublicReadHandler
    from tests.public.test_public_read_path import call

    _invite(admin, acme, "kim@acme.example", django_capture_on_commit_callbacks)
    client = Client()
    _sign_in(client, link_path(smtp, "kim@acme.example"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    assert "incidents.readers.middleware.ReaderSessionMiddleware" in PublicReadHandler().middleware
    answer = call(PublicReadHandler(), "/", cookie=cookie)
    assert answer.status == 200 and answer.cookies == []


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_sign_in_once(
    smtp: SmtpSink, admin: User, acme: Audience, django_capture_on_commit_callbacks: Any
) -> None:
    """The link is spent by one conditional UPDATE: of two requests racing with it, one
    signs in and the other is told it was used."""
    _invite(admin, acme, "lee@acme.example", django_capture_on_commit_callbacks)
    path = link_path(smtp, "lee@acme.example")
    start = threading.Barrier(2)

    def click() -> int:
        try:
            client = Client()
            start.wait(timeout=10)
            return int(client.post(path).status_code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(lambda _n: click(), range(2)))
    assert statuses == [302, 403]
    assert AuditEvent.objects.filter(action=AuditAction.READER_SIGNED_IN).count() == 1
