"""What changed between two site versions: the input of an incremental publish.

Every public change records its scope (the incidents and maintenance windows it touched,
or "everything") in the transaction that bumps the site version, so the publisher, in
whichever process it runs and however many changes it coalesces, can tell exactly which
pages may differ from the last render. Anything it cannot tell (a version without a
record, a change that did not say) counts as everything: a full render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.models import SiteChange


@dataclass(frozen=True)
class Scope:
    incidents: frozenset[str] = frozenset()  # public ids
    maintenance: frozenset[str] = frozenset()
    everything: bool = False

    def __or__(self, other: Scope) -> Scope:
        if self.everything or other.everything:
            return EVERYTHING
        return Scope(self.incidents | other.incidents, self.maintenance | other.maintenance)


EVERYTHING = Scope(everything=True)
# A change that shows only on the pages rendered every time (a component's status: the
# front page and the JSON documents).
SITE_WIDE_ONLY = Scope()


def incident_scope(public_id: str) -> Scope:
    return Scope(incidents=frozenset([public_id]))


def maintenance_scope(public_id: str) -> Scope:
    return Scope(maintenance=frozenset([public_id]))


def site_change_record(*, version: int, scope: Scope, now: datetime) -> None:
    # update_or_create: a version counted again after the counter was reset replaces
    # the stale record.
    SiteChange.objects.update_or_create(
        version=version,
        defaults={
            "incidents": sorted(scope.incidents),
            "maintenance": sorted(scope.maintenance),
            "everything": scope.everything,
            "at": now,
        },
    )


def changes_between(after: int, upto: int) -> Scope:
    """Everything versions after+1 .. upto changed; EVERYTHING if any of them is unknown."""
    if upto < after:  # the database went back (a restore): nothing is known
        return EVERYTHING
    if upto == after:
        return SITE_WIDE_ONLY
    rows = list(
        SiteChange.objects.filter(version__gt=after, version__lte=upto).values_list(
            "incidents", "maintenance", "everything"
        )
    )
    if len(rows) != upto - after:
        return EVERYTHING  # a version made before these records, or pruned
    scope = SITE_WIDE_ONLY
    for incidents, maintenance, everything in rows:
        if everything or not isinstance(incidents, list) or not isinstance(maintenance, list):
            return EVERYTHING
        scope = scope | Scope(frozenset(map(str, incidents)), frozenset(map(str, maintenance)))
    return scope


def version_stamp(version: int) -> str:
    """When version `version` was made, as recorded; "" if it was not.

    A render keeps its version's stamp: a render from another database (a restored
    backup, a test's) that happens to have the same number has another stamp, and is
    not built on.
    """
    found = SiteChange.objects.filter(version=version).values_list("at", flat=True)
    return next((at.isoformat() for at in found), "")


def site_changes_prune(*, below: int) -> None:
    """Forget the changes every render from version `below` on already includes (the
    record of `below` itself stays: its stamp identifies that render)."""
    SiteChange.objects.filter(version__lt=below).delete()
