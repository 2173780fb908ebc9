"""The keys that sign notices (incidents/signing.py, docs/security.md "Signed notices").

    manage.py signing_key generate           a new key, the current one from now: its
                                             private half to CANDOR_SIGNING_KEYS_DIR/<id>.pem
                                             (mode 0600); the previous key's validity ends
    manage.py signing_key generate --print   a new private key printed (PEM) for a secrets
                                             store: listed once CANDOR_SIGNING_KEY holds it
    manage.py signing_key list               every key with its validity period

Rotation is `generate` (or a new CANDOR_SIGNING_KEY, listed on its first use): old public
keys stay listed, so whatever they signed still verifies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import signing
from incidents.models import SigningKey


class Command(BaseCommand):
    help = "Make a new notice-signing key (rotation), or list the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["generate", "list"])
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_key",
            help="print the new private key instead of writing it to a file",
        )

    def handle(self, *args: Any, action: str, print_key: bool, **options: Any) -> None:
        if action == "list":
            for key in SigningKey.objects.order_by("valid_from", "pk"):
                until = signing.utc_text(key.valid_until) if key.valid_until else "current"
                self.stdout.write(f"{key.key_id}  {signing.utc_text(key.valid_from)}  {until}")
            return
        if print_key:  # listed when it is first used from CANDOR_SIGNING_KEY
            self.stdout.write(signing.pem_new().decode(), ending="")
            return
        if settings.CANDOR_SIGNING_KEY:
            raise CommandError(
                "CANDOR_SIGNING_KEY is set: that key signs. To rotate, set a new one there "
                "(`signing_key generate --print` makes one)."
            )
        key, _ = signing.key_generate()
        self.stdout.write(f"key {key.key_id} is now current")
