"""Import a Statuspage page (docs/design.md, "Importing from Statuspage"):

    manage.py import_statuspage --page-id ID --api-key KEY [--base-url URL]

Components and groups, incidents with every update, scheduled maintenance, postmortems
and active subscribers, through Statuspage's management API v1. Run it again at any time:
nothing doubles, and a run that failed resumes where it stopped. The key may come from
STATUSPAGE_API_KEY instead of the command line (which other users can see).

Exit status 0 when the import finished (rows it could not map are listed), 1 otherwise.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.audit import Actor
from incidents.importer import client, run
from incidents.models import ImportRun, ImportState


class Command(BaseCommand):
    help = "Import a Statuspage page through its management API v1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--page-id", required=True)
        parser.add_argument("--api-key", default=os.environ.get("STATUSPAGE_API_KEY", ""))
        parser.add_argument("--base-url", default=client.DEFAULT_BASE_URL)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["api_key"]:
            raise CommandError("give --api-key, or set STATUSPAGE_API_KEY")
        actor = Actor(label="cli:import_statuspage", channel="cli")
        try:
            started = run.import_start(
                actor=actor,
                page_id=options["page_id"],
                api_key=options["api_key"],
                base_url=options["base_url"],
            )
        except run.ImportBusy as exc:
            raise CommandError(str(exc)) from None
        if started.checkpoint:
            self.stdout.write(f"Resuming at {started.checkpoint}")
        ended = run.import_run(started.public_id, actor=actor, progress=self._progress)
        self._report(ended)
        if ended.state != ImportState.DONE:
            raise CommandError(f"failed: {ended.error} (run the command again to resume)")

    def _progress(self, current: ImportRun) -> None:
        self.stdout.write(
            f"  {current.checkpoint.get('stage')}: page {current.checkpoint.get('page')}"
        )

    def _report(self, ended: ImportRun) -> None:
        for kind, counts in sorted(ended.counts.items()):
            figures = ", ".join(f"{what} {n}" for what, n in sorted(counts.items()))
            self.stdout.write(f"{kind}: {figures}")
        if ended.problems:
            self.stdout.write(f"Not mapped or changed ({len(ended.problems)} listed):")
            for problem in ended.problems:
                self.stdout.write(f"  {problem['kind']} {problem['id']}: {problem['reason']}")
