"""Each resource of a Statuspage page written here once, as history.

Every row written is mapped (ImportedObject: Statuspage's id to ours) in the same
transaction, so a second run, or a run resumed after a failure, finds it and adds nothing.
Imported words are history: written as they were published there, with their own
timestamps, flagged `imported`, audited as imported; they are not approved, not sent
(`notify` is "nobody", no delivery is written), and promise no next update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import DataError, transaction

from incidents.audit import Actor
from incidents.importer import clean
from incidents.importer.clean import NotMapped
from incidents.models import (
    AuditAction,
    AuditEvent,
    Component,
    ComponentGroup,
    ComponentStatus,
    ImportedObject,
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
    MaintenanceImpact,
    MaintenanceStatus,
    MaintenanceUpdate,
    NotifyScope,
    Postmortem,
    Subscriber,
    SubscriberComponent,
    SubscriberState,
    worst_status,
)
from incidents.notify.channels.registry import channels_all, destination_normalise
from incidents.rendering import render_markdown

MAX_PROBLEMS = 500
# Scheduled maintenance may lie ahead: as far as this is accepted.
FUTURE = timedelta(days=400)
# An incident that names components but not their statuses: its impact's usual one.
IMPACT_STATUS = {
    IncidentImpact.NONE: ComponentStatus.DEGRADED_PERFORMANCE,
    IncidentImpact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    IncidentImpact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    IncidentImpact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}
# Statuspage's subscriber modes Candor has a channel for.
MODES = {"email": "email", "sms": "sms", "webhook": "webhook"}


@dataclass
class Report:
    """What a run imported, found already imported, and could not map."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    problems_total: int = 0

    def count(self, kind: str, what: str, n: int = 1) -> None:
        per_kind = self.counts.setdefault(kind, {})
        per_kind[what] = per_kind.get(what, 0) + n

    def problem(self, kind: str, source: str, reason: str, *, mapped: bool = False) -> None:
        """A row not mapped (or, `mapped`, stored with something left behind or cleaned)."""
        if not mapped:
            self.count(kind, "not_mapped")
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"kind": kind, "id": source[:64], "reason": reason[:300]})


@dataclass
class Context:
    page_id: str
    actor: Actor
    now: datetime
    report: Report

    def mapped(self, kind: str, ids: Iterable[str] | None = None) -> dict[str, int]:
        rows = ImportedObject.objects.filter(page_id=self.page_id, kind=kind)
        if ids is not None:
            rows = rows.filter(source_id__in=list(ids))
        return dict(rows.values_list("source_id", "target_id"))

    def map_add(self, kind: str, pairs: Iterable[tuple[str, int]]) -> None:
        ImportedObject.objects.bulk_create(
            ImportedObject(
                page_id=self.page_id, kind=kind, source_id=source, target_id=target,
                created_at=self.now,
            )
            for source, target in pairs
        )  # fmt: skip


def _rows(ctx: Context, kind: str, items: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(source id, row) for each row not yet imported; the rest are counted."""
    rows = []
    for item in items:
        try:
            rows.append((clean.source_id(item), item))
        except NotMapped as exc:
            ctx.report.problem(kind, "?", str(exc))
    already = ctx.mapped(kind, [source for source, _ in rows])
    if already:
        ctx.report.count(kind, "already", len(already))
    return [(source, row) for source, row in rows if source not in already]


# -- components and their groups ------------------------------------------------------------


def groups_write(ctx: Context, items: list[Any]) -> None:
    made = []
    for source, row in _rows(ctx, "group", items):
        try:
            group = ComponentGroup(
                name=clean.text(row, "name", limit=clean.MAX_NAME_LENGTH, multiline=False,
                                required=True),
                description=clean.text(row, "description", limit=clean.MAX_BODY_LENGTH,
                                       multiline=True),
                position=_position(row),
            )  # fmt: skip
        except NotMapped as exc:
            ctx.report.problem("group", source, str(exc))
            continue
        group.save()
        made.append((source, group.pk))
    ctx.map_add("group", made)
    ctx.report.count("group", "imported", len(made))


def components_write(ctx: Context, items: list[Any]) -> None:
    # Statuspage lists groups among the components too (group: true): those came above.
    items = [i for i in items if not (isinstance(i, dict) and i.get("group") is True)]
    groups = ctx.mapped("group")
    made = []
    for source, row in _rows(ctx, "component", items):
        cleaned: list[str] = []
        try:
            created = clean.timestamp(row, "created_at", required=False, now=ctx.now)
            start = _start_date(row, ctx.now) or (created.date() if created else None)
            status = clean.choice(row, "status", ComponentStatus.values, default="operational")
            component = Component(
                name=clean.text(row, "name", limit=clean.MAX_NAME_LENGTH, multiline=False,
                                required=True, cleaned=cleaned),
                description=clean.text(row, "description", limit=clean.MAX_BODY_LENGTH,
                                       multiline=True, cleaned=cleaned),
                position=_position(row),
                group_id=groups.get(str(row.get("group_id") or "")),
                showcase=row.get("showcase") is not False,
                only_show_if_degraded=row.get("only_show_if_degraded") is True,
                start_date=start or ctx.now.date(),
                manual_status=status,
                status=status,
            )  # fmt: skip
        except NotMapped as exc:
            ctx.report.problem("component", source, str(exc))
            continue
        for note in cleaned:
            ctx.report.problem("component", source, note, mapped=True)
        component.save()
        made.append((source, component.pk))
    ctx.map_add("component", made)
    ctx.report.count("component", "imported", len(made))


def _position(row: dict[str, Any]) -> int:
    value = row.get("position")
    return value if isinstance(value, int) and 0 <= value < 2**31 else 0


def _start_date(row: dict[str, Any], now: datetime) -> Any:
    value = row.get("start_date")
    if isinstance(value, str) and len(value) == 10:
        try:
            return clean.timestamp({"d": value + "T00:00:00Z"}, "d", required=True, now=now)
        except NotMapped:
            return None
    return None


# -- incidents and scheduled maintenance -----------------------------------------------------


@dataclass
class _Update:
    source: str
    status: str
    body: str
    created_at: datetime
    display_at: datetime
    affected: list[dict[str, str]]


@dataclass(frozen=True)
class _Components:
    """The imported components, by Statuspage's id (ours: pk and public id)."""

    pk: dict[str, int]
    code: dict[str, str]

    @classmethod
    def load(cls, ctx: Context) -> _Components:
        pk = ctx.mapped("component")
        codes = dict(Component.objects.filter(pk__in=pk.values()).values_list("pk", "public_id"))
        return cls(pk=pk, code={s: codes[t] for s, t in pk.items() if t in codes})

    def pk_of_code(self) -> dict[str, int]:
        return {code: self.pk[source] for source, code in self.code.items()}


def incidents_write(ctx: Context, items: list[Any]) -> None:
    """One page of /incidents: incidents and scheduled maintenance alike (by status)."""
    by_source = _Components.load(ctx)
    audit = []
    # Maintenance is counted under its own kind but mapped with incidents: Statuspage keeps
    # both in one list, with one id space.
    for source, row in _rows(ctx, "incident", items):
        status = row.get("status")
        kind = "maintenance" if status in MaintenanceStatus.values else "incident"
        try:
            with transaction.atomic():  # a row the database refuses leaves nothing behind
                if kind == "maintenance":
                    target: Incident | Maintenance = _maintenance_write(ctx, source, row, by_source)
                else:
                    target = _incident_write(ctx, source, row, by_source)
        except NotMapped as exc:
            ctx.report.problem(kind, source, str(exc))
            continue
        except DataError as exc:
            ctx.report.problem(kind, source, f"refused by the database ({type(exc).__name__})")
            continue
        ctx.map_add("incident", [(source, target.pk)])
        ctx.report.count(kind, "imported")
        audit.append(
            AuditEvent(
                at=ctx.now, actor=ctx.actor.user, actor_label=ctx.actor.label[:150],
                channel=ctx.actor.channel,
                action=AuditAction.MAINTENANCE_IMPORTED if kind == "maintenance"
                else AuditAction.INCIDENT_IMPORTED,
                target_type=kind, target_id=target.public_id,
                summary=f"Imported {target.name[:200]!r} from Statuspage as history",
                data={"page_id": ctx.page_id, "source_id": source},
            )
        )  # fmt: skip
    AuditEvent.objects.bulk_create(audit)


def _updates(
    ctx: Context, source: str, row: dict[str, Any], statuses: list[str], by_source: _Components,
    kind: str, *, latest: datetime,
) -> list[_Update]:  # fmt: skip
    raw = row.get("incident_updates")
    if not isinstance(raw, list):
        raise NotMapped("incident_updates is not a list")
    updates = []
    for item in raw:
        cleaned: list[str] = []
        try:
            update_id = clean.source_id(item)
            created = clean.timestamp(item, "created_at", required=True, now=latest)
            assert created is not None
            display = clean.timestamp(item, "display_at", required=False, now=latest) or created
            updates.append(
                _Update(
                    source=update_id,
                    status=clean.choice(item, "status", statuses),
                    body=clean.text(
                        item, "body", limit=clean.MAX_BODY_LENGTH, multiline=True, cleaned=cleaned
                    ),
                    created_at=created,
                    display_at=display,
                    affected=_affected(item, by_source),
                )
            )
        except NotMapped as exc:
            ctx.report.problem(f"{kind} update", f"{source}/{_id_of(item)}", str(exc))
            continue
        for note in cleaned:
            ctx.report.problem(f"{kind} update", f"{source}/{_id_of(item)}", note, mapped=True)
    if not updates:
        raise NotMapped("no update could be imported")
    updates.sort(key=lambda u: (u.display_at, u.created_at))
    return updates


def _id_of(item: Any) -> str:
    return str(item.get("id"))[:30] if isinstance(item, dict) else "?"


def _affected(item: dict[str, Any], components: _Components) -> list[dict[str, str]]:
    """Statuspage's affected_components, with our components' ids for theirs; entries
    naming a component not imported, or a status we do not know, are left out."""
    raw = item.get("affected_components")
    result: list[dict[str, str]] = []
    if not isinstance(raw, list):
        return result
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        code = components.code.get(str(entry.get("code") or ""))
        old, new = entry.get("old_status"), entry.get("new_status")
        if code is None or old not in ComponentStatus.values or new not in ComponentStatus.values:
            continue
        try:
            name = clean.text(entry, "name", limit=clean.MAX_NAME_LENGTH, multiline=False)
        except NotMapped:
            name = ""
        result.append({"code": code, "name": name, "old_status": old, "new_status": new})
    return result


def _component_ids(row: dict[str, Any], mapped: dict[str, int]) -> dict[int, str]:
    """{our component pk: its status in the incident's `components` list}."""
    raw = row.get("components")
    found: dict[int, str] = {}
    if isinstance(raw, list):
        for entry in raw:
            source = entry.get("id") if isinstance(entry, dict) else entry
            pk = mapped.get(str(source or ""))
            if pk is not None:
                status = entry.get("status") if isinstance(entry, dict) else None
                found[pk] = status if status in ComponentStatus.values else "operational"
    return found


def _incident_write(
    ctx: Context, source: str, row: dict[str, Any], by_source: _Components
) -> Incident:
    cleaned: list[str] = []
    name = clean.text(row, "name", limit=clean.MAX_NAME_LENGTH, multiline=False, required=True,
                      cleaned=cleaned)  # fmt: skip
    status = clean.choice(row, "status", IncidentStatus.values)
    impact = clean.choice(row, "impact", IncidentImpact.values, default="none")
    created = clean.timestamp(row, "created_at", required=True, now=ctx.now)
    assert created is not None
    started = clean.timestamp(row, "started_at", required=False, now=ctx.now) or created
    updates = _updates(ctx, source, row, IncidentStatus.values, by_source, "incident",
                       latest=ctx.now)  # fmt: skip
    resolved_at = None
    if status == IncidentStatus.RESOLVED:
        resolved_at = clean.timestamp(row, "resolved_at", required=False, now=ctx.now)
        resolved_at = max(resolved_at or updates[-1].display_at, started)
    first = {u.status: u.display_at for u in reversed(updates)}  # earliest of each status
    updated = clean.timestamp(row, "updated_at", required=False, now=ctx.now)
    incident = Incident.objects.create(
        name=name, status=status, impact=impact, started_at=started,
        identified_at=first.get(IncidentStatus.IDENTIFIED),
        monitoring_at=clean.timestamp(row, "monitoring_at", required=False, now=ctx.now)
        or first.get(IncidentStatus.MONITORING),
        resolved_at=resolved_at, created_at=created,
        updated_at=max(updated or updates[-1].display_at, created),
        next_update_due=None,  # imported: nothing is promised here
        imported=True,
    )  # fmt: skip
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(incident=incident, status=u.status, **_update_fields(u)) for u in updates
    )
    # The components it affected: those it names, and those its updates changed.
    pk_by_code = by_source.pk_of_code()
    affected = _component_ids(row, by_source.pk)
    said: dict[int, list[str]] = {}
    for update in updates:
        for entry in update.affected:
            pk = pk_by_code[entry["code"]]
            affected.setdefault(pk, "operational")
            if entry["new_status"] != ComponentStatus.OPERATIONAL:
                said.setdefault(pk, []).append(entry["new_status"])
    rows = []
    for pk, current in affected.items():
        if incident.is_open and current != ComponentStatus.OPERATIONAL:
            status_here = current  # what the component shows there now
        elif pk in said:
            status_here = worst_status(said[pk]).value
        else:
            status_here = IMPACT_STATUS[IncidentImpact(impact)].value
        rows.append(IncidentComponent(incident=incident, component_id=pk, status=status_here))
    IncidentComponent.objects.bulk_create(rows)
    if incident.is_open:
        # Still open there: the incident now holds the component's status, as a live one
        # does here, so resolving it (in Candor) brings the component back.
        Component.objects.filter(
            pk__in=[r.component_id for r in rows], manual_status__in=[r.status for r in rows]
        ).update(manual_status=ComponentStatus.OPERATIONAL)
    _postmortem_write(ctx, source, row, incident)
    for note in cleaned:
        ctx.report.problem("incident", source, note, mapped=True)
    return incident


def _update_fields(update: _Update) -> dict[str, Any]:
    return {
        "body": update.body,
        "body_html": render_markdown(update.body),
        "affected_components": update.affected,
        "created_at": update.created_at,
        "display_at": update.display_at,
        "notify": NotifyScope.NONE,  # history: told once, by Statuspage
    }


def _postmortem_write(ctx: Context, source: str, row: dict[str, Any], incident: Incident) -> None:
    if not row.get("postmortem_body"):
        return
    published = row.get("postmortem_published_at")
    if not published:
        ctx.report.problem("postmortem", source, "a draft, not published: left out", mapped=True)
        return
    try:
        body = clean.text(row, "postmortem_body", limit=clean.MAX_BODY_LENGTH * 5, multiline=True)
        at = clean.timestamp(row, "postmortem_published_at", required=False, now=ctx.now)
    except NotMapped as exc:
        ctx.report.problem("postmortem", source, str(exc))
        return
    # Candor's own postmortem, published as Statuspage published it: history, like the
    # incident's updates (no revision, no approvals; the incident says it was imported).
    at = at or incident.resolved_at or ctx.now
    Postmortem.objects.create(
        incident=incident, created_at=at, published_body=body,
        published_body_html=render_markdown(body), published_at=at, body_last_updated_at=at,
    )  # fmt: skip
    ctx.report.count("postmortem", "imported")


def _maintenance_write(
    ctx: Context, source: str, row: dict[str, Any], by_source: _Components
) -> Maintenance:
    cleaned: list[str] = []
    ahead = ctx.now + FUTURE
    name = clean.text(row, "name", limit=clean.MAX_NAME_LENGTH, multiline=False, required=True,
                      cleaned=cleaned)  # fmt: skip
    status = clean.choice(row, "status", MaintenanceStatus.values)
    created = clean.timestamp(row, "created_at", required=True, now=ctx.now)
    begins = clean.timestamp(row, "scheduled_for", required=True, now=ahead)
    ends = clean.timestamp(row, "scheduled_until", required=True, now=ahead)
    assert created is not None and begins is not None and ends is not None
    if ends <= begins:
        raise NotMapped("scheduled_until is not after scheduled_for")
    updates = _updates(ctx, source, row, MaintenanceStatus.values, by_source, "maintenance",
                       latest=ctx.now)  # fmt: skip
    first = {u.status: u.display_at for u in reversed(updates)}
    started = completed = None
    if status != MaintenanceStatus.SCHEDULED:
        started = first.get(MaintenanceStatus.IN_PROGRESS) or begins
    if status == MaintenanceStatus.COMPLETED:
        completed = clean.timestamp(row, "resolved_at", required=False, now=ctx.now)
        completed = max(
            completed or first.get(MaintenanceStatus.COMPLETED) or ends, started or begins
        )
    maintenance = Maintenance.objects.create(
        name=name, status=status, scheduled_for=begins, scheduled_until=ends,
        started_at=started, completed_at=completed,
        auto_start=row.get("scheduled_auto_in_progress") is not False,
        auto_complete=row.get("scheduled_auto_completed") is not False,
        # Subscribers were told by Statuspage; Candor's own notices start when staff say.
        notify_prior_minutes=None, notify_start=False, notify_end=False,
        created_at=created, updated_at=max(updates[-1].display_at, created), imported=True,
    )  # fmt: skip
    MaintenanceUpdate.objects.bulk_create(
        MaintenanceUpdate(maintenance=maintenance, status=u.status, **_update_fields(u))
        for u in updates
    )
    MaintenanceComponent.objects.bulk_create(
        MaintenanceComponent(
            maintenance=maintenance, component_id=pk, impact=MaintenanceImpact.UNDER_MAINTENANCE
        )
        for pk in _component_ids(row, by_source.pk)
    )
    for note in cleaned:
        ctx.report.problem("maintenance", source, note, mapped=True)
    return maintenance


# -- subscribers ------------------------------------------------------------------------------


def subscribers_write(ctx: Context, items: list[Any]) -> None:
    """Active subscribers of one page of the list, as confirmed: Statuspage lists a
    subscriber as active once confirmed and while reachable. Nothing is sent to them."""
    registered = channels_all()
    components = ctx.mapped("component")
    wanted: dict[tuple[str, str], tuple[str, dict[str, Any], str, list[int]]] = {}
    for source, row in _rows(ctx, "subscriber", items):
        try:
            channel, destination, prefix = _address(row, registered)
            if row.get("quarantined_at"):
                raise NotMapped("quarantined at Statuspage (messages bounced)")
            picked = _picked(ctx, source, row, components)
        except NotMapped as exc:
            ctx.report.problem("subscriber", source, str(exc))
            continue
        wanted.setdefault((channel, destination), (source, row, prefix, picked))
    existing = {
        (s.channel, s.destination): s.pk
        for s in Subscriber.objects.filter(
            incident=None, destination__in=[d for _, d in wanted]
        ).only("pk", "channel", "destination")
    }
    new = []
    for (channel, destination), (_source, row, prefix, picked) in wanted.items():
        if (channel, destination) in existing:
            continue
        try:
            created = clean.timestamp(row, "created_at", required=False, now=ctx.now) or ctx.now
        except NotMapped:
            created = ctx.now
        new.append(
            Subscriber(
                channel=channel, destination=destination, state=SubscriberState.CONFIRMED,
                all_components=not picked, prefix=prefix[:300], created_at=created,
                confirmed_at=created,
            )
        )  # fmt: skip
    Subscriber.objects.bulk_create(new, batch_size=1000)
    made = {(s.channel, s.destination): s.pk for s in new}
    SubscriberComponent.objects.bulk_create(
        (
            SubscriberComponent(subscriber_id=made[key], component_id=pk)
            for key, (_, _, _, picked) in wanted.items()
            if key in made
            for pk in picked
        ),
        batch_size=1000,
    )
    pairs = [(source, made.get(key) or existing[key]) for key, (source, *_) in wanted.items()]
    ctx.map_add("subscriber", pairs)
    ctx.report.count("subscriber", "imported", len(made))
    if len(pairs) > len(made):
        ctx.report.count("subscriber", "already_subscribed_here", len(pairs) - len(made))


def _address(row: dict[str, Any], registered: dict[str, Any]) -> tuple[str, str, str]:
    mode = row.get("mode")
    channel = MODES.get(mode) if isinstance(mode, str) else None
    if channel is None:
        raise NotMapped(f"mode {str(mode)[:30]!r} has no channel in Candor")
    if channel not in registered:
        raise NotMapped(f"the {channel} channel is not enabled here")
    if channel == "sms":
        raw = _e164(row)
    else:
        found = row.get("endpoint" if channel == "webhook" else "email")
        if not isinstance(found, str) or not found.strip() or len(found) > 500:
            raise NotMapped(f"no usable {channel} address")
        raw = found
    try:
        destination, prefix = destination_normalise(channel, raw)
    except ValidationError as exc:
        raise NotMapped("; ".join(exc.messages)[:200]) from None
    return channel, destination, prefix


def _e164(row: dict[str, Any]) -> str:
    """Statuspage keeps the national number and its country apart."""
    number, country = row.get("phone_number"), row.get("phone_country")
    if not isinstance(number, str) or not number.strip() or len(number) > 40:
        raise NotMapped("no usable phone number")
    region = country.upper() if isinstance(country, str) and len(country) == 2 else "US"
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise NotMapped("not a phone number") from None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _picked(
    ctx: Context, source: str, row: dict[str, Any], components: dict[str, int]
) -> list[int]:
    """The components chosen (empty: all). Choices naming a component not imported are
    dropped and reported; a subscriber left with none would get nothing: refused."""
    raw = row.get("components")
    if not isinstance(raw, list) or not raw:
        return []
    chosen = {components[str(c)] for c in raw if str(c) in components}
    if len(chosen) == len(components):
        return []  # every component: subscribed to the whole page
    if len(chosen) < len(raw):
        if not chosen:
            raise NotMapped("none of the chosen components was imported")
        ctx.report.problem("subscriber", source, "some chosen components were not imported",
                           mapped=True)  # fmt: skip
    return sorted(chosen)
