"""The keys that sign notices (incidents/signing.py, docs/security.md "Signed notices").

    manage.py signing_key generate           a new key, the current one from now: its
                                             private half to CANDOR_SIGNING_KEYS_DIR/<id>.pem
                                             (mode 0600); the previous key's validity ends
    manage.py signing_key generate --print   a new private key printed (PEM) for a secrets
                                             store: listed once CANDOR_SIGNING_KEY holds it
    manage.py signing_key list               every key with its validity period
    manage.py signing_key oob-issue --user NAME --out FILE
                                             an out-of-band key for one person, for the
                                             CLI (`post_out_of_band`): the key file holds
                                             its private half and pins the site's keys
    manage.py signing_key oob-revoke KEY_ID  its updates refused from now on

Rotation is `generate` (or a new CANDOR_SIGNING_KEY, listed on its first use): old public
keys stay listed, so whatever they signed still verifies.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from incidents import lifecycle, roles, signing
from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, KeyPurpose, SigningKey
from incidents.publish.changes import SITE_WIDE_ONLY
from incidents.publish.oob_post import KeyFile


class Command(BaseCommand):
    help = "Make a new notice-signing key (rotation), or list the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["generate", "list", "oob-issue", "oob-revoke"])
        parser.add_argument("key_id", nargs="?", default="", help="oob-revoke: the key's id")
        parser.add_argument("--user", default="", help="oob-issue: who the key is for")
        parser.add_argument("--out", default="", help="oob-issue: the key file to write")
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_key",
            help="print the new private key instead of writing it to a file",
        )

    def handle(self, *args: Any, action: str, print_key: bool, **options: Any) -> None:
        if action == "list":
            for key in SigningKey.objects.select_related("issued_to").order_by("valid_from", "pk"):
                until = signing.utc_text(key.valid_until) if key.valid_until else "current"
                holder = key.issued_to.get_username() if key.issued_to else ""
                oob = f"  out-of-band ({holder})" if key.purpose == KeyPurpose.OUT_OF_BAND else ""
                self.stdout.write(f"{key.key_id}  {signing.utc_text(key.valid_from)}  {until}{oob}")
            return
        if action == "oob-issue":
            self._oob_issue(options["user"], options["out"])
            return
        if action == "oob-revoke":
            key_id = options["key_id"]
            with transaction.atomic():
                if not signing.oob_key_revoke(key_id):
                    raise CommandError(f"no valid out-of-band key {key_id!r}")
                key = SigningKey.objects.get(key_id=key_id)
                _audited(AuditAction.OOB_KEY_REVOKED, key, f"Revoked out-of-band key {key_id}")
            self.stdout.write(f"out-of-band key {key_id} revoked")
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

    def _oob_issue(self, username: str, out: str) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not user.has_perm(roles.POST_UPDATES):
            raise CommandError(f"{username!r} is no active staff account that may post updates")
        if not out:
            raise CommandError("--out FILE: where to write the key file")
        site_key, _ = signing.current_signer()  # the key the bundles are signed with now
        with transaction.atomic():
            key, pem = signing.oob_key_issue(user=user)
            _audited(
                AuditAction.OOB_KEY_ISSUED,
                key,
                f"Issued out-of-band key {key.key_id} to {user.username}",
            )
        key_file = KeyFile(
            site=settings.CANDOR_CANONICAL_URL,
            key_id=key.key_id,
            private_pem=pem,
            site_keys={site_key.key_id: site_key.public_key},
            issued_to=user.username,
        )
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            signing.oob_key_revoke(key.key_id)
            raise CommandError(f"cannot write {out}: {exc}; the key was revoked") from exc
        with os.fdopen(fd, "wb") as f:
            f.write(key_file.to_json())
        self.stdout.write(
            f"out-of-band key {key.key_id} issued to {user.username}, written to {out}. "
            "It is listed in the next publish; give the file to its holder only."
        )


def _audited(action: AuditAction, key: SigningKey, summary: str) -> None:
    """The audit event, and a publish: the keys document and the bundle list the
    out-of-band keys, and no page else changes."""
    audit_record(
        actor=Actor.system("cli"), action=action, target=key, summary=summary, at=timezone.now()
    )
    lifecycle.public_change(SITE_WIDE_ONLY)
