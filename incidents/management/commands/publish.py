"""Break-glass publishing: render the public site and push it to every target, or check them.

    manage.py publish            render and push to every target that is behind
    manage.py publish --full     render every page (not only what changed) and push the
                                 files that differ to every target, current or not
    manage.py publish --force    render every page and rewrite every file on every
                                 target (repairs damage)
    manage.py publish --verify   check every target against its manifest and the site

Exit status 0 when every target ends current and intact, 1 otherwise.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.publish import service
from incidents.publish.targets import configured_targets


class Command(BaseCommand):
    help = "Publish the public site to every configured target, or --verify them."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--verify",
            action="store_true",
            help="check every target: serves the site's version, every file intact",
        )
        mode.add_argument(
            "--full",
            action="store_true",
            help="render every page, not only what changed since the last publish",
        )
        mode.add_argument(
            "--force",
            action="store_true",
            help="push to every target even if it already has the current version",
        )

    def handle(self, *args: Any, verify: bool, full: bool, force: bool, **options: Any) -> None:
        if not configured_targets():
            raise CommandError("no publish targets are configured (CANDOR_PUBLISH_TARGETS)")
        if verify:
            self._verify()
        else:
            self._publish(force=force, full=full)

    def _publish(self, *, force: bool, full: bool) -> None:
        result = service.publish(force=force, full=full)
        for target in result.targets:
            line = f"{target.name}: {target.outcome}, version {target.version}"
            if target.error:
                self.stderr.write(f"{line}: {target.error}")
            else:
                self.stdout.write(line)
        if result.failed:
            raise CommandError(f"version {result.version} did not reach every target")

    def _verify(self) -> None:
        version, health = service.verify_targets()
        self.stdout.write(f"site version {version}")
        for target in health:
            if target.problems:
                self.stderr.write(f"{target.name}: {len(target.problems)} problem(s)")
                for problem in target.problems:
                    self.stderr.write(f"  {problem}")
            else:
                self.stdout.write(
                    f"{target.name}: current and intact (version {target.version}, "
                    f"{target.files} files)"
                )
        if any(target.problems for target in health):
            raise CommandError("a target is stale or damaged; `manage.py publish --force` repairs")
