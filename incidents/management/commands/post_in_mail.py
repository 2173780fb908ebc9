"""Email-in: post approved-template updates from registered, DKIM-signed mail.

manage.py post_in_mail --port 2525        an SMTP listener (your MX or relay forwards
                                          CANDOR_POST_IN_ADDRESSES to it)
manage.py post_in_mail --stdin < message  one message, for an MTA's pipe transport;
                                          exit 0 posted, 77 refused (sysexits
                                          EX_NOPERM: the MTA bounces with the reason)
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from incidents.post_in.mail import MAX_MESSAGE, mail_post
from incidents.post_in.smtp import listener

EX_NOPERM = 77


class Command(BaseCommand):
    help = "Receive update emails over SMTP (or one on stdin) and post them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--stdin", action="store_true", help="read one message, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["stdin"]:
            outcome = mail_post(sys.stdin.buffer.read(MAX_MESSAGE + 1))
            (self.stdout if outcome.posted else self.stderr).write(outcome.reply)
            if not outcome.posted:
                sys.exit(EX_NOPERM)
            return
        recipients = set(settings.CANDOR_POST_IN_ADDRESSES)
        controller = listener(host=options["host"], port=options["port"], recipients=recipients)
        controller.start()
        accepted = ", ".join(sorted(recipients)) or "any address"
        self.stdout.write(f"Email-in on {options['host']}:{options['port']} for {accepted}.")
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
