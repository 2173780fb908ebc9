"""Record the out-of-band updates the publish targets hold (publish/oob_reconcile.py).

    manage.py reconcile_out_of_band

Safe to run at any time, from any number of hosts at once: each update is recorded once.
Publishing and the `publish-reconcile` beat task do the same; this is for the moment the
app comes back, and for scripts. Exit status 1 when an update was refused or a target
could not be read (both are listed).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from incidents.publish.oob_reconcile import reconcile


class Command(BaseCommand):
    help = "Record the out-of-band updates the publish targets hold, once each."

    def handle(self, *args: Any, **options: Any) -> None:
        result = reconcile()
        for oob_id in result.recorded:
            self.stdout.write(f"recorded {oob_id}")
        for oob_id, reason in result.refused.items():
            self.stdout.write(f"refused {oob_id}: {reason}")
        for where, reason in result.unreadable.items():
            self.stdout.write(f"cannot read {where}: {reason}")
        self.stdout.write(f"{len(result.recorded)} recorded")
        if result.refused or result.unreadable:
            sys.exit(1)
