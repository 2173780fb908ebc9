"""The out-of-band bundle every snapshot carries (oob/bundle.json, signed with the site key):
everything the out-of-band CLI needs to post an approved update with no database.

It is published with the site, so it holds only what the page already shows (open public
incidents: id, name, status, components, times; the page's components and what holds
each at its status) plus the approved web templates of the
incident phases and the wording rules, which are the organisation's words and rules, not
secrets. No person, email address or approver name is in it: an approval is its
qualifier ("legal", "support") and its time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from incidents import wording
from incidents.cadence import Schedule
from incidents.models import (
    ACTIVE_MAINTENANCE,
    Component,
    Incident,
    IncidentComponent,
    IncidentStatus,
    KeyPurpose,
    MaintenanceComponent,
    SigningKey,
    WordingRule,
    component_status,
)
from incidents.public.language import shipped
from incidents.publish.oob_format import FORMAT
from incidents.reminders.plan import impact_schedules, override_of
from incidents.signing import canonical, utc_text
from incidents.wording.approved import usable_versions

PHASES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
)
RULE_FIELDS = (
    "key", "version", "kind", "pattern", "element", "limit", "channel", "scope", "reason",
    "language", "active",
)  # fmt: skip


def bundle_bytes(
    *,
    version: int,
    generated_at: datetime,
    components: QuerySet[Component],
    maintenance_active: bool,
) -> bytes:
    """The bundle as of the render reading it (inside its consistent read).

    `components` are the ones the page shows and `maintenance_active` whether it shows
    a window in progress, as the page's selectors read them: with what each component
    is held at, the CLI derives the statuses and the indicator an out-of-band
    resolution leaves (models/derived.py, the rule lifecycle applies)."""
    incidents = _incidents()
    return canonical(
        {
            "v": FORMAT,
            "site": settings.CANDOR_CANONICAL_URL,
            "version": version,
            "generated_at": utc_text(generated_at),
            "languages": shipped(),
            "rules": [_rule(rule) for rule in wording.current_rules()],
            "templates": [
                {
                    "phase": str(phase),
                    "template": version_row.template.public_id,
                    "name": version_row.template.name,
                    "number": version_row.number,
                    "body": version_row.body,
                    "approvals": sorted(
                        (
                            {"qualifier": a.qualifier, "at": utc_text(a.at)}
                            for a in version_row.approvals.all()
                        ),
                        key=lambda a: (a["at"], a["qualifier"]),
                    ),
                }
                for phase in PHASES
                for version_row in usable_versions(wording.incident_phase(phase))
            ],
            "incidents": incidents,
            "components": _components(components, {i["id"] for i in incidents}),
            "maintenance_active": maintenance_active,
            # The keys the CLI may sign with now (a revoked one is left out, so its holder's
            # CLI refuses before pushing, as reconciliation would).
            "oob_keys": [
                {"id": key.key_id, "public_key": key.public_key}
                for key in SigningKey.objects.filter(
                    purpose=KeyPurpose.OUT_OF_BAND, valid_until__isnull=True
                ).order_by("valid_from", "pk")
            ],
        }
    )


def _incidents() -> list[dict[str, Any]]:
    """The open public incidents, in a few queries whatever their number (the render
    counts its queries per page)."""
    incidents = (
        Incident.objects.exclude(status=IncidentStatus.RESOLVED)
        .filter(audiences__isnull=True)
        .annotate(follow_ups=Count("updates", distinct=True))
        .prefetch_related(
            Prefetch(
                "components",
                queryset=Component.objects.annotate(
                    limited=Exists(
                        Component.audiences.through.objects.filter(component_id=OuterRef("pk"))
                    )
                ),
            )
        )
        .order_by("pk")
    )
    schedules = {impact: schedule for impact, (schedule, _) in impact_schedules().items()}
    return [_incident(i, override_of(i) or schedules[i.impact]) for i in incidents]


def _components(components: QuerySet[Component], bundled: set[str]) -> list[dict[str, Any]]:
    """Each component the page shows: the status each open incident of the bundle holds
    it at, and its floor: the baseline set by hand with whatever else holds it down
    (maintenance in progress, open incidents the page does not show)."""
    rows = list(components.select_related("group").order_by("pk"))
    by_pk = {c.pk: c for c in rows}
    held: dict[int, dict[str, str]] = defaultdict(dict)
    elsewhere: dict[int, list[str]] = defaultdict(list)
    for component_id, incident_id, status in IncidentComponent.objects.filter(
        component_id__in=by_pk, incident__resolved_at__isnull=True
    ).values_list("component_id", "incident__public_id", "status"):
        if incident_id in bundled:
            held[component_id][incident_id] = status
        else:
            elsewhere[component_id].append(status)
    windows: dict[int, list[str]] = defaultdict(list)
    for component_id, impact in MaintenanceComponent.objects.filter(
        component_id__in=by_pk, maintenance__status__in=ACTIVE_MAINTENANCE
    ).values_list("component_id", "impact"):
        windows[component_id].append(impact)
    return [
        {
            "id": c.public_id,
            "group": c.group.public_id if c.group else None,
            "status": c.status,
            # What it would be with none of the bundle's incidents open: one status, so
            # nothing says what else holds it, only how far it could recover.
            "floor": component_status(c.manual_status, elsewhere[c.pk], windows[c.pk]).value,
            "incidents": held[c.pk],
            "only_show_if_degraded": c.only_show_if_degraded,
        }
        for c in rows
    ]


def _incident(incident: Any, schedule: Schedule) -> dict[str, Any]:
    follow_ups = incident.follow_ups
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": incident.status,
        "impact": incident.impact,
        # The public's components only: one limited to audiences is not named on the page.
        "components": [c.name for c in incident.components.all() if not c.limited],
        "started_at": utc_text(incident.started_at),
        "next_update_due": utc_text(incident.next_update_due) if incident.next_update_due else None,
        # What the cadence adds to the next update's time once one more is posted
        # (drafts.next_update_at, without the database).
        "next_interval_seconds": int(schedule.after(follow_ups).total_seconds()),
    }


def _rule(rule: WordingRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}
