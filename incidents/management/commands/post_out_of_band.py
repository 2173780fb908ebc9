"""Post an approved-template update with the app and its database down (publish/oob_post.py).

    manage.py post_out_of_band --key-file alice.oob.json
        asks which open incident, which status and which approved template, shows the
        words, and asks before pushing
    manage.py post_out_of_band --key-file F --incident ID --status monitoring \\
        --template TEMPLATE_ID [--yes]
        the same without questions (scripts, tests)

The targets are the ones the settings name (CANDOR_PUBLISH_TARGETS, CANDOR_MIRROR_DIR,
CANDOR_S3_*), as for `publish`; no database setting is needed: the command refuses to
send a query. Exit status 0 when every target took the update, 1 when one failed (the
others have it: run again once it is back, the update is already in the copy read
first), 2 when refused (nothing was pushed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils import timezone

from incidents.publish import oob_post
from incidents.publish.oob_format import OobRefused
from incidents.publish.targets import configured_targets


def _no_database(*args: Any) -> Any:
    raise OobRefused("the out-of-band CLI must not use the database (a bug: please report it)")


def _answer(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:  # no terminal, nothing typed: no answer
        return ""


class Command(BaseCommand):
    help = "Post an approved-template update to every publish target without the app."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key-file", required=True, type=Path)
        parser.add_argument("--incident", default="")
        parser.add_argument("--status", default="", choices=["", *oob_post.STATUSES])
        parser.add_argument("--template", default="")
        parser.add_argument("--yes", action="store_true", help="do not ask before pushing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with _database_refused():
                outcome = self._post(options)
        except OobRefused as refusal:
            self.stderr.write(f"Refused: {refusal}")
            sys.exit(2)
        record = outcome.record
        self.stdout.write(
            f"Posted {record.status} to incident {record.incident} as {record.oob_id} "
            f"(template {record.template}), over version {record.base_version} from "
            f"{outcome.source}."
        )
        for name in outcome.pushed:
            self.stdout.write(f"  {name}: pushed")
        for name, error in outcome.failed.items():
            self.stdout.write(f"  {name}: FAILED: {error}")
        if outcome.failed:
            sys.exit(1)

    def _post(self, options: dict[str, Any]) -> oob_post.Outcome:
        key_file = oob_post.KeyFile.load(options["key_file"])
        targets = configured_targets()
        choice = oob_post.Choice(
            incident=options["incident"], status=options["status"], template=options["template"]
        )
        return oob_post.post(
            targets=targets,
            key_file=key_file,
            choice=choice,
            now=timezone.now(),
            confirm=(lambda *_: True) if options["yes"] else self._confirm,
            ask=self._ask,
        )

    def _ask(self, ready: oob_post.Prepared, given: oob_post.Choice) -> oob_post.Choice:
        """What the options left out, asked with what the snapshot offers."""
        incident = given.incident
        if not incident:
            for item in ready.incidents.values():
                self.stdout.write(f"  {item.public_id}  {item.status:<13} {item.name[:70]}")
            incident = _answer("Incident id: ")
        status = given.status or _answer(f"New status ({', '.join(oob_post.STATUSES)}): ")
        template = given.template
        if not template:
            for t in oob_post.templates_for(ready, status):
                self.stdout.write(f"  {t.ref}  {t.name[:60]}")
            template = _answer("Template: ")
        return oob_post.Choice(incident, status, template)

    def _confirm(self, incident: oob_post.OpenIncident, status: str, words: str) -> bool:
        self.stdout.write(f"\n{incident.name} -> {status}\n\n{words}\n")
        return _answer("Push this to every target? [y/N] ").lower() in ("y", "yes")


@contextmanager
def _database_refused() -> Iterator[None]:
    """Every query refused, on every connection: the CLI runs where there is none."""
    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(_no_database))
        yield
