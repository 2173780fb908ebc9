"""An on-call person posts an approved update by email, received by Candor's own SMTP
listener (aiosmtpd) from a real SMTP client, DKIM-signed with dkimpy by the sender's
domain; the domain's key is looked up through a stub resolver (no network)."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from incidents.models import InboundOutcome, InboundPost, Incident
from incidents.post_in.credentials import Issued
from incidents.post_in.smtp import listener
from tests.cdn.nginx import free_port
from tests.post_in.conftest import ADDRESS

pytestmark = pytest.mark.django_db(transaction=True)
INBOX = "post@status.example.com"
MALLORY = "mallory@ops.example.com"


class Domain:
    """A mail domain's DKIM key pair, and the TXT record it publishes."""

    def __init__(self, name: str, selector: str = "s1") -> None:
        self.name, self.selector = name, selector
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def sign(self, raw: bytes) -> bytes:
        signature = dkim.sign(
            raw, self.selector.encode(), self.name.encode(), self.private,
            include_headers=[b"from", b"to", b"subject", b"message-id", b"date"],
        )  # fmt: skip
        return signature + raw


OPS = Domain("ops.example.com")
ELSEWHERE = Domain("attacker.example.net")


def stub_dns(name: bytes, timeout: int = 5) -> bytes | None:
    records = {f"{d.selector}._domainkey.{d.name}.".encode(): d.record for d in (OPS, ELSEWHERE)}
    return records.get(name if name.endswith(b".") else name + b".")


@pytest.fixture
def inbox() -> Iterator[int]:
    port = free_port()
    controller = listener(host="127.0.0.1", port=port, recipients={INBOX}, dnsfunc=stub_dns)
    controller.start()
    cache.clear()
    yield port
    controller.stop()


def message(subject: str, text: str, *, sender: str = ADDRESS) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Olga <{sender}>"
    mail["To"] = INBOX
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    mail["Date"] = "Mon, 07 Dec 2026 03:00:00 +0000"
    mail.set_content(text)
    return mail.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


def send(port: int, raw: bytes, *, to: str = INBOX) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        try:
            smtp.sendmail(ADDRESS, [to], raw)
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code, refused.smtp_error.decode()
        except smtplib.SMTPRecipientsRefused as refused:
            code, text = refused.recipients[to]
            return code, text.decode()
        code, text = smtp.noop()
        return 250, "accepted"


def _update(incident: Incident, olga: Issued, status: str = "monitoring") -> bytes:
    return message(
        f"UPDATE {incident.public_id} {status}",
        f"Posting from the train.\n\nSecret: {olga.secret}\n\n-- \nOlga\n",
    )


def test_a_signed_message_with_the_secret_posts_once(
    inbox: int, olga: Issued, incident: Incident
) -> None:
    raw = OPS.sign(_update(incident, olga))
    assert send(inbox, raw) == (250, "accepted")
    incident.refresh_from_db()
    assert incident.status == "monitoring"
    posted = InboundPost.objects.get()
    assert (posted.channel, posted.outcome, posted.sender) == ("email", "posted", ADDRESS)
    # The sender's server retries (it did not see our 250): answered, not posted again.
    assert send(inbox, raw) == (250, "accepted")
    assert incident.updates.filter(status="monitoring").count() == 1


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        ("unsigned", "no valid DKIM signature"),
        ("tampered", "no valid DKIM signature"),
        ("other domain", "no valid DKIM signature"),
        ("wrong secret", "lacks the sender's secret"),
        ("no secret", "lacks the sender's secret"),
        ("unregistered", "this address cannot post updates"),
        ("bad subject", "UPDATE <incident id>"),
    ],
)
def test_anything_else_is_refused_in_the_smtp_session_with_its_reason(
    inbox: int, olga: Issued, incident: Incident, forge: str, reason: str
) -> None:
    good = _update(incident, olga)
    raw = {
        "unsigned": good,
        "tampered": OPS.sign(good).replace(b"Posting from the train.", b"Posting from a bus."),
        "other domain": ELSEWHERE.sign(good),
        "wrong secret": OPS.sign(_update(incident, olga).replace(olga.secret.encode(),
                                                                   b"not-the-secret-at-all")),
        "no secret": OPS.sign(message(f"UPDATE {incident.public_id} monitoring", "Hi.\n")),
        "unregistered": OPS.sign(message(f"UPDATE {incident.public_id} monitoring",
                                         f"Secret: {olga.secret}\n", sender=MALLORY)),
        "bad subject": OPS.sign(message(f"UPDATE {incident.public_id} fixed-it-all",
                                        f"Secret: {olga.secret}\n")),
    }[forge]  # fmt: skip
    code, text = send(inbox, raw)
    assert code == 550
    assert reason in text
    assert incident.updates.count() == 1
    assert InboundPost.objects.get().outcome == InboundOutcome.REFUSED


def test_mail_for_another_address_is_refused_at_rcpt(inbox: int, olga: Issued) -> None:
    code, text = send(inbox, b"Subject: x\r\n\r\nx\r\n", to="someone@status.example.com")
    assert (code, text) == (550, "5.1.1 No such mailbox here")


def test_an_mta_pipe_gets_exit_77_and_the_reason_for_a_refusal(
    olga: Issued, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    from django.core.management import call_command

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_update(incident, olga))))
    errors = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("post_in_mail", "--stdin", stderr=errors)
    assert exited.value.code == 77
    assert "no valid DKIM signature" in errors.getvalue()
