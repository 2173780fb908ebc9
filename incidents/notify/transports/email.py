"""Email over one reused connection per batch (SMTP, or any Django email backend)."""

from __future__ import annotations

import contextlib
import smtplib
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from incidents.models import Delivery
from incidents.notify.render import Rendered
from incidents.notify.transports import TransportError


def _domain() -> str:
    return urlsplit(settings.CANDOR_CANONICAL_URL).hostname or "localhost"


def headers_for(delivery: Delivery, rendered: Rendered) -> dict[str, str]:
    domain = _domain()
    unsubscribe = f"<{rendered.unsubscribe_url}>"
    if settings.CANDOR_UNSUBSCRIBE_MAILTO:
        unsubscribe += f", <mailto:{settings.CANDOR_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>"
    parent = rendered.url.rstrip("/").rsplit("/", 1)[-1]
    thread = f"<{rendered.kind}-{parent}@{domain}>"
    return {
        # The same on every attempt: a message re-sent after a crash is recognisable.
        "Message-ID": f"<{delivery.key}@{domain}>",
        # Every update of one incident threads under the same root.
        "References": thread,
        "In-Reply-To": thread,
        "List-Unsubscribe": unsubscribe,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        "List-Id": f"{settings.CANDOR_PAGE_NAME} <status.{domain}>",
        "Auto-Submitted": "auto-generated",
    }


class EmailSender:
    def __init__(self, *, fallback: bool = False) -> None:
        options: dict[str, Any] = {}
        backend = settings.EMAIL_BACKEND
        if fallback:
            backend = settings.CANDOR_EMAIL_FALLBACK_BACKEND
            if backend == "django.core.mail.backends.smtp.EmailBackend":
                options = dict(settings.CANDOR_EMAIL_FALLBACK_OPTIONS)
        self.connection = get_connection(backend, fail_silently=False, **options)
        self.opened = False

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        message = EmailMessage(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.subscriber.destination],
            headers=headers_for(delivery, rendered),
            connection=self.connection,
        )
        try:
            if not self.opened:
                self.connection.open()
                self.opened = True
            self.connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reason = next(iter(exc.recipients.values()))
            raise TransportError(
                f"SMTP {code}: {reason.decode(errors='replace')}",
                permanent=code >= 500,
                provider_fault=False,
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
        return message.extra_headers["Message-ID"]

    def close(self) -> None:
        if self.opened:
            # Closing a connection that already broke may fail too; it is gone either way.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.opened = False
