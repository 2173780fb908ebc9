"""What the public reliability report shows: read it, and let an Admin set it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.models import AuditAction, Component, ReliabilityReportSettings
from incidents.public.cache import public_changed
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version_bump

# Which figures an Admin can take out, by field, with how the console names them.
FIGURES = {
    "show_uptime": _("Uptime, with and without announced maintenance"),
    "show_incidents": _("Incidents by impact"),
    "show_first_post": _("Time to first public post (median, 90th percentile)"),
    "show_resolve": _("Time to resolve (MTTR)"),
    "show_promises": _("Next-update promises kept"),
}


@dataclass(frozen=True)
class Visibility:
    enabled: bool = False
    show_uptime: bool = True
    show_incidents: bool = True
    show_first_post: bool = True
    show_resolve: bool = True
    show_promises: bool = True
    hidden: frozenset[int] = frozenset()  # component pks


_fixed = threading.local()


@contextmanager
def visibility_fixed() -> Iterator[None]:
    """In this thread, report_visibility answers from one query: for the snapshot renderer,
    whose every page links to the report (or not) in its header, as branding.brand_fixed."""
    _fixed.visibility = report_visibility()
    try:
        yield
    finally:
        del _fixed.visibility


def report_visibility() -> Visibility:
    """As the Admin set it; off when nobody has."""
    fixed: Visibility | None = getattr(_fixed, "visibility", None)
    if fixed is not None:
        return fixed
    row = ReliabilityReportSettings.objects.filter(pk=ReliabilityReportSettings.SINGLETON).first()
    if row is None:
        return Visibility()
    return Visibility(
        enabled=row.enabled,
        hidden=frozenset(row.hidden.values_list("pk", flat=True)),
        **{field: getattr(row, field) for field in FIGURES},
    )


def report_visibility_set(
    *,
    actor: Actor,
    enabled: bool,
    figures: Iterable[str],
    hidden: Iterable[str],
    now: datetime | None = None,
) -> Visibility:
    """Store what the report shows: `figures` names the FIGURES shown, `hidden` the public
    ids of the components left out. Audited; the site republishes."""
    roles.require_permission(actor, roles.MANAGE_BRANDING)
    now = now or timezone.now()
    shown = set(figures)
    if unknown := shown - set(FIGURES):
        raise ValidationError({"figures": [f"Unknown figures: {', '.join(sorted(unknown))}."]})
    hidden_ids = sorted(set(hidden))
    components = list(Component.objects.filter(public_id__in=hidden_ids))
    if len(components) != len(hidden_ids):
        raise ValidationError({"hidden": ["One of these components no longer exists."]})
    if enabled and not shown:
        raise ValidationError({"figures": ["Show at least one figure, or turn the report off."]})
    with transaction.atomic():
        ReliabilityReportSettings.objects.get_or_create(pk=ReliabilityReportSettings.SINGLETON)
        row = ReliabilityReportSettings.objects.select_for_update().get(
            pk=ReliabilityReportSettings.SINGLETON
        )
        row.enabled = enabled
        for field in FIGURES:
            setattr(row, field, field in shown)
        row.updated_at = now
        row.save()
        row.hidden.set(components)
        audit_record(
            actor=actor,
            action=AuditAction.REPORT_SETTINGS_SET,
            target=row,
            summary=f"Reliability report {'on' if enabled else 'off'}",
            at=now,
            data={"enabled": enabled, "figures": sorted(shown), "hidden": hidden_ids},
        )
        # Every report page, and the links to it from the site's pages: a full republish.
        site_version_bump(now=now)
        transaction.on_commit(public_changed)
        transaction.on_commit(request_publish, robust=True)
    return report_visibility()
