"""Email over one reused connection per batch (SMTP, or any Django email backend).

Over SMTP, the messages of a batch are made by `MessageMold`: Django's EmailMessage
serialises the update's message once, and each recipient's copy is that serialisation
with their address, Message-ID and signed link put in. Serialising every message through
the email package cost more than everything else the fan-out does (bench/README.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import secrets
import smtplib
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

from incidents.models import Delivery
from incidents.notify import links
from incidents.notify.render import Rendered
from incidents.notify.transports import Blame, TransportError


def _domain() -> str:
    return urlsplit(settings.CANDOR_CANONICAL_URL).hostname or "localhost"


def headers_for(key: str, rendered: Rendered) -> dict[str, str]:
    domain = _domain()
    unsubscribe = f"<{rendered.unsubscribe_url}>"
    if settings.CANDOR_UNSUBSCRIBE_MAILTO:
        unsubscribe += f", <mailto:{settings.CANDOR_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>"
    parent = rendered.url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    # A postmortem threads under its incident's updates.
    kind = "incident" if rendered.kind == "postmortem" else rendered.kind
    thread = f"<{kind}-{parent}@{domain}>"
    return {
        # The same on every attempt: a message re-sent after a crash is recognisable.
        "Message-ID": f"<{key}@{domain}>",
        # Every update of one incident threads under the same root.
        "References": thread,
        "In-Reply-To": thread,
        "List-Unsubscribe": unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        "List-Id": f"{settings.CANDOR_PAGE_NAME} <status.{domain}>",
        "Auto-Submitted": "auto-generated",
        # The update's signature (docs/security.md, "Signed notices"), when it was signed.
        **({"Candor-Signature": rendered.signature} if rendered.signature else {}),
    }


def _message(destination: str, key: str, rendered: Rendered, date: str) -> EmailMessage:
    return EmailMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[destination],
        headers={**headers_for(key, rendered), "Date": date},
    )


def _as_bytes(message: EmailMessage) -> bytes:
    return message.message().as_bytes(linesep="\r\n")  # as Django's SMTP backend sends it


# Addresses a mold may take as they are: no character the email package would encode,
# quote or fold at, so the copy is what serialising the message for them would give.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\Z")
_KEY = re.compile(r"[0-9a-f]{24}\Z")
# Molds one sender keeps: one per language its batch is written in (wording/translations.py).
MAX_MOLDS = 8


@dataclasses.dataclass(frozen=True)
class MessageMold:
    """One update's message serialised once, with stand-ins where recipients differ.

    `fits` says whether a recipient's message is this one with only their address,
    Message-ID key and subscriber link differing (same subject, words, length of link);
    `cast` then puts theirs in. A mold is only made after its copy for the first recipient
    came out byte for byte equal to the message serialised for them (`made_for`).
    """

    subject: str
    text: str  # the words, with the stand-in link
    url: str
    signature: str
    link: str  # the stand-in for the subscriber's own link
    parts: tuple[bytes | int, ...]  # the serialised message; ints mark where values go

    @classmethod
    def made_for(
        cls, destination: str, key: str, rendered: Rendered, date: str, expected: bytes
    ) -> MessageMold | None:
        """The mold of this message, or None if copies from it could differ from it."""
        link = rendered.manage_url
        stand_ins = (
            f"{secrets.token_hex(8)}@candor.invalid",
            secrets.token_hex(12),
            "https://" + secrets.token_hex(len(link))[: max(0, len(link) - 8)],
        )
        if not _PLAIN_ADDRESS.match(destination) or not _KEY.match(key):
            return None
        molded = dataclasses.replace(
            rendered,
            text=rendered.text.replace(link, stand_ins[2]),
            manage_url=stand_ins[2],
            unsubscribe_url=links.unsubscribe_url_from(stand_ins[2]),
        )
        raw = _as_bytes(_message(stand_ins[0], stand_ins[1], molded, date))
        pattern = b"(" + b"|".join(re.escape(v.encode()) for v in stand_ins) + b")"
        which = {v.encode(): n for n, v in enumerate(stand_ins)}
        mold = cls(
            subject=rendered.subject,
            text=molded.text,
            url=rendered.url,
            signature=rendered.signature,
            link=stand_ins[2],
            parts=tuple(which.get(p, p) for p in re.split(pattern, raw)),
        )
        if mold.cast(destination, key, link) != expected:
            return None  # the email package encoded or folded a stand-in: no mold
        return mold

    def fits(self, destination: str, key: str, rendered: Rendered) -> bool:
        link = rendered.manage_url
        return (
            len(link) == len(self.link)
            and rendered.subject == self.subject
            and rendered.url == self.url
            and rendered.signature == self.signature
            and _PLAIN_ADDRESS.match(destination) is not None
            and _KEY.match(key) is not None
            and rendered.text.replace(link, self.link) == self.text
        )

    def cast(self, destination: str, key: str, link: str) -> bytes:
        values = (destination.encode(), key.encode(), link.encode())
        return b"".join(values[p] if isinstance(p, int) else p for p in self.parts)


# RFC 3463 enhanced status: class.subject.detail, e.g. 5.1.1 (bad destination mailbox).
_ENHANCED = re.compile(r"\s*[245]\.(\d{1,3})\.\d{1,3}\b")


def rcpt_blame(code: int, text: str) -> tuple[Blame, bool]:
    """Whose fault a refusal at RCPT may be, and whether it names the mailbox (5.1.x).

    Subjects 1 (addressing) and 2 (mailbox) are about a recipient, but a relay that
    refuses everyone may say them too, so they are EITHER; 421 (closing) and every
    other subject (3 system, 4 routing, 5 protocol, 6 content, 7 policy: a blocked
    sending IP, relaying denied) are the provider's. No enhanced status: EITHER.
    """
    if code == 421:
        return Blame.PROVIDER, False
    enhanced = _ENHANCED.match(text)
    if enhanced is None:
        return Blame.EITHER, False
    subject = int(enhanced.group(1))
    if subject in (1, 2):
        return Blame.EITHER, subject == 1
    return Blame.PROVIDER, False


def email_connection(*, fallback: bool = False) -> BaseEmailBackend:
    """A connection to the primary email provider, or to the fallback one: the one way
    Candor's mail leaves (fan-out, confirmations, reminders)."""
    options: dict[str, Any] = {}
    backend = settings.EMAIL_BACKEND
    if fallback:
        backend = settings.CANDOR_EMAIL_FALLBACK_BACKEND
        if backend == "django.core.mail.backends.smtp.EmailBackend":
            options = dict(settings.CANDOR_EMAIL_FALLBACK_OPTIONS)
    return get_connection(backend, fail_silently=False, **options)


def email_send(*, to: str, subject: str, body: str) -> None:
    """One message that is no update (a confirmation link), through the primary provider."""
    with email_connection() as connection:
        connection.send_messages([EmailMessage(subject=subject, body=body, to=[to])])


class EmailSender:
    def __init__(
        self,
        *,
        fallback: bool = False,
        ready: Callable[[], None],
        molds: list[MessageMold] | None = None,
        date: str = "",
    ) -> None:
        # Any: over SMTP its smtplib connection is used directly (MessageMold).
        self.connection: Any = email_connection(fallback=fallback)
        self.opened = False
        self.on_connection = 0  # messages tried on the open connection
        self.date = date or formatdate(localtime=settings.EMAIL_USE_LOCALTIME)  # one per batch
        # One mold per language of the batch's messages (their words differ), a few at most;
        # the senders of one batch's lanes share theirs (and its Date).
        self.molds: list[MessageMold] = [] if molds is None else molds
        self.molding = isinstance(self.connection, SmtpBackend)
        self.ready = ready
        self.sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)

    def _raw(self, delivery: Delivery, rendered: Rendered) -> bytes:
        """The bytes to send over SMTP: cast from the batch's mold when it fits."""
        destination, key = delivery.subscriber.destination, delivery.key
        for mold in self.molds:
            if mold.fits(destination, key, rendered):
                return mold.cast(destination, key, rendered.manage_url)
        raw = _as_bytes(_message(destination, key, rendered, self.date))
        if len(self.molds) < MAX_MOLDS:
            made = MessageMold.made_for(destination, key, rendered, self.date, raw)
            if made is not None:
                self.molds.append(made)
        return raw

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        try:
            if self.molding and self.on_connection >= settings.CANDOR_SMTP_MESSAGES_PER_CONNECTION:
                self.close()  # QUIT, as a provider limiting messages per connection expects
            if not self.opened:
                self.connection.open()
                self.opened = True
                self.on_connection = 0
                if self.molding:
                    self._ready_before_data()
            self.on_connection += 1
            if self.molding:
                destination = delivery.subscriber.destination
                if not _PLAIN_ADDRESS.match(destination):
                    destination = sanitize_address(destination, settings.DEFAULT_CHARSET)
                self.connection.connection.sendmail(
                    self.sender, [destination], self._raw(delivery, rendered)
                )
            else:
                destination = delivery.subscriber.destination
                message = _message(destination, delivery.key, rendered, self.date)
                self.ready()
                self.connection.send_messages([message])
                status = getattr(message, "anymail_status", None)  # a provider's own id
                if status is not None and status.message_id:
                    return str(status.message_id)
        except AnymailRecipientsRefused as exc:
            # The provider will not mail this address (a hard bounce, a complaint, invalid)
            # or, as a sandboxed or suspended account does, any address: the fan-out tells.
            raise TransportError(
                f"Provider refused the recipient: {exc}", permanent=True, blame=Blame.EITHER
            ) from exc
        except AnymailError as exc:  # the provider's API answered an error, or is unreachable
            self.close()
            raise TransportError(f"Email provider: {exc}"[:500]) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            if code == 421:
                self.close()  # the server is closing the connection
            # Otherwise smtplib sent RSET: the connection serves the next recipient.
            said = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
            blame, strong = rcpt_blame(code, said)
            raise TransportError(
                f"SMTP {code}: {said}", permanent=code >= 500, blame=blame, strong=strong
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error
            if isinstance(text, bytes):
                text = text.decode(errors="replace")
            raise TransportError(f"SMTP {exc.smtp_code}: {text}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # the next message reconnects
            raise TransportError(f"SMTP: {exc or type(exc).__name__}") from exc
        return f"<{delivery.key}@{_domain()}>"

    def _ready_before_data(self) -> None:
        """Call `ready` between the envelope (MAIL, RCPT) and DATA of every message: the
        wait for the previous message's journal entry overlaps this one's round trips."""
        smtp = self.connection.connection
        deliver = smtp.data

        def data(msg: bytes | str) -> tuple[int, bytes]:
            self.ready()
            return deliver(msg)

        smtp.data = data  # on this connection only, which lives for this batch

    def close(self) -> None:
        if self.opened:
            # Closing a connection that already broke may fail too; it is gone either way.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.opened = False
