"""The site version: which publication of the public site is the newest."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from incidents.models import SiteVersion
from incidents.publish.changes import EVERYTHING, Scope, site_change_record


def site_version() -> int:
    """The current site version; 0 before the first public change."""
    found = SiteVersion.objects.filter(pk=SiteVersion.SINGLETON).values_list("version", flat=True)
    return next(iter(found), 0)


def site_version_bump(*, now: datetime, scope: Scope = EVERYTHING) -> int:
    """Count one public change and record its scope; call inside the transaction that
    makes it. Returns the new version.

    The row lock this takes is held until the commit, so concurrent public writes commit
    their bumps one after the other and no two changes share a number.
    """
    bumped = SiteVersion.objects.filter(pk=SiteVersion.SINGLETON).update(
        version=F("version") + 1, changed_at=now
    )
    if not bumped:  # the very first change (or an emptied table): make the row, then count
        SiteVersion.objects.bulk_create(
            [SiteVersion(pk=SiteVersion.SINGLETON, version=0)], ignore_conflicts=True
        )
        SiteVersion.objects.filter(pk=SiteVersion.SINGLETON).update(
            version=F("version") + 1, changed_at=now
        )
    version = site_version()  # ours: the row stays locked until the commit
    site_change_record(version=version, scope=scope, now=now)
    return version
