"""The SMTP listener email-in arrives on (manage.py post_in_mail): aiosmtpd, answering each
message in the SMTP session itself, so the sender's mail server reports a refusal with its
reason (550) and a posted update as delivered (250)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.controller import Controller
from django.db import connections

from incidents.post_in.mail import MAX_MESSAGE, DnsFunc, mail_post


def _smtp_text(reply: str) -> str:
    """One line of printable ASCII: what an SMTP reply may carry."""
    text = reply.encode("ascii", "replace").decode("ascii")
    return "".join(ch if " " <= ch <= "~" else " " for ch in text)[:400]


class PostHandler:
    def __init__(self, *, recipients: set[str], dnsfunc: DnsFunc | None = None) -> None:
        self.recipients = {r.lower() for r in recipients}
        self.dnsfunc = dnsfunc

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.recipients and address.lower() not in self.recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(None, self._post, raw)
        code = "250 2.0.0" if outcome.posted else "550 5.7.1"
        return f"{code} {_smtp_text(outcome.reply)}"

    def _post(self, raw: bytes) -> Any:
        # Runs on an executor thread: its connection is closed with the message, as a
        # mail-in rate is a few a minute and a pooled thread must not hold one open.
        try:
            return mail_post(raw, dnsfunc=self.dnsfunc)
        finally:
            connections.close_all()


def listener(
    *, host: str, port: int, recipients: set[str], dnsfunc: DnsFunc | None = None
) -> Controller:
    """A started-on-demand aiosmtpd controller (call .start() and .stop())."""
    return Controller(
        PostHandler(recipients=recipients, dnsfunc=dnsfunc),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE,
    )
