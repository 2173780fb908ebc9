"""The lean reference: the same number of emails, of the same size on the wire, to the same
sink, as the cheapest honest sender would send them (issue 16: "message serialised once,
reused connection").

The message is serialised once (Django's EmailMessage, so its headers and encoding are
what a Django sender writes), with stand-ins for the recipient and the Message-ID; each
recipient's copy is those bytes with theirs put in, sent with `smtplib` over one
connection per batch of 100. No database, no queue, no journal, no rendering.

    python bench/notify_reference.py PORT FIRST COUNT MESSAGE_BYTES
"""

from __future__ import annotations

import smtplib
import sys

import django
from django.conf import settings

settings.configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=int(sys.argv[1]), EMAIL_TIMEOUT=10)
django.setup()

from django.core.mail import EmailMessage  # noqa: E402

SENDER = "status@localhost"
TO, KEY = "rcpt-0000000000@example.com", "0" * 24  # stand-ins, as long as theirs


def message(body: str) -> bytes:
    return (
        EmailMessage(
            "[Candor] Checkout errors: Investigating",
            body,
            SENDER,
            [TO],
            headers={
                "Message-ID": f"<{KEY}@status.example.com>",
                "List-Unsubscribe": "<https://status.example.com/subscriptions/x/unsubscribe>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        .message()
        .as_bytes(linesep="\r\n")
    )


def main() -> None:
    port, first, count, size = (int(a) for a in sys.argv[1:5])
    words = "We are investigating failed payments. "
    bare = len(message(""))
    raw = message((words * (size // len(words) + 1))[: max(0, size - bare)])
    for start in range(first, first + count, 100):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for n in range(start, min(start + 100, first + count)):
                to = f"ref{n:010d}@example.com"  # as long as the stand-in
                key = f"{n:024d}"
                copy = raw.replace(TO.encode(), to.encode()).replace(KEY.encode(), key.encode())
                smtp.sendmail(SENDER, [to], copy)


if __name__ == "__main__":
    main()
