"""The bare reference: the same messages to the same sink, one reused SMTP connection per
batch of 100 (Django's get_connection() + send_messages()), no database, no queue.

    python bench/notify_reference.py PORT FIRST COUNT BODY_BYTES
"""

from __future__ import annotations

import sys

import django
from django.conf import settings

settings.configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=int(sys.argv[1]), EMAIL_TIMEOUT=10)
django.setup()

from django.core.mail import EmailMessage, get_connection  # noqa: E402

first, count, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
body = ("We are investigating failed payments. " * (size // 38 + 1))[:size]
headers = {
    "List-Unsubscribe": "<https://status.example.com/subscriptions/x/unsubscribe>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}
for start in range(first, first + count, 100):
    with get_connection() as connection:
        connection.send_messages(
            [
                EmailMessage(
                    "[Candor] Checkout errors: Investigating",
                    body,
                    "status@localhost",
                    [f"ref{n}@example.com"],
                    headers=headers,
                )
                for n in range(start, min(start + 100, first + count))
            ]
        )
