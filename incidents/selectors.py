"""Reads shared by the live pages, the public API and the feeds.

They return frozen dataclasses, never models, so every rendering of the public site sees
the same facts and no template can trigger a query.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate

from incidents.audiences.viewer import current_viewer
from incidents.audiences.visibility import (
    components_visible,
    hidden_component_codes,
    incidents_visible,
    maintenance_visible,
    updates_visible,
)
from incidents.models import (
    ACTIVE_MAINTENANCE,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentStatusChange,
    Incident,
    IncidentComponent,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
    MaintenanceImpact,
    MaintenanceStatus,
    MaintenanceUpdate,
    PageIndicator,
    Postmortem,
    VendorState,
    page_indicator,
    worst_status,
)
from incidents.text import printable
from incidents.thread_scope import ThreadScope
from incidents.uptime import (
    DayUptime,
    PastDays,
    UptimeBothWays,
    daily_uptime_after,
    daily_uptime_reusing,
    past_days_keep,
    past_days_kept,
    uptime_both_ways,
    window_uptime,
)

HISTORY_LIMIT = 50  # Statuspage's incidents.json returns the 50 most recent
_T = TypeVar("_T")

# What one render asks again: small answers, public_status, a month's pages.
_answers, _statuses, _months = ThreadScope(), ThreadScope(), ThreadScope()


@contextmanager
def answers_shared() -> Iterator[None]:
    """In this thread, the small answers every page of a render asks for again (the
    header's indicator, the hidden components, the oldest month, the latest change, the
    recent incidents and windows, an incident's or window's view for each language's
    page) computed once per viewer and arguments. For the snapshot renderer:
    it reads one moment (a REPEATABLE READ transaction) and writes nothing while it
    renders, so no answer can change inside it; 50 pages of an update asked the header's
    three queries 32 times. Inside another, it keeps the outer one's answers."""
    with _answers.open():
        yield


def _shared_answer(compute: Callable[..., _T]) -> Callable[..., _T]:
    @functools.wraps(compute)
    def answer(*args: Any, **kwargs: Any) -> _T:
        answers = _answers.memo()
        if answers is None:
            return compute(*args, **kwargs)
        key = (compute.__name__, current_viewer(), args, tuple(sorted(kwargs.items())))
        if key not in answers:
            answers[key] = compute(*args, **kwargs)
        found = answers[key]
        # A list or dict is the caller's to change: each gets its own (what is in them
        # is frozen).
        if isinstance(found, list | dict):
            return type(found)(found)  # type: ignore[return-value]
        return found

    return answer


@dataclass(frozen=True)
class IncidentRef:
    public_id: str
    name: str
    impact: str


@dataclass(frozen=True)
class UptimeDay:
    day: DayUptime
    incidents: tuple[IncidentRef, ...]


@dataclass(frozen=True)
class ComponentView:
    public_id: str
    name: str
    description: str
    status: str
    position: int
    group_id: str | None
    showcase: bool
    only_show_if_degraded: bool
    start_date: date | None
    created_at: datetime
    updated_at: datetime
    uptime_days: tuple[UptimeDay, ...] = ()
    uptime: float | None = None
    # A vendor's component (incidents/vendors): when its page was last read, and whether
    # the last try failed (then `status` is the last status the vendor reported).
    vendor_fetched_at: datetime | None = None
    vendor_unknown: bool = False

    @property
    def status_label(self) -> str:
        return str(ComponentStatus(self.status).label)

    @property
    def uptime_since(self) -> date | None:
        """The first day with data when the component is younger than the window: its
        figure covers only the time it existed, so the page says since when, not "in 90
        days" (an hour's outage in a new component's first six hours reads 83.33%)."""
        if not self.uptime_days or self.uptime_days[0].day.has_data:
            return None
        return next((d.day.day for d in self.uptime_days if d.day.has_data), None)


@dataclass(frozen=True)
class GroupView:
    public_id: str
    name: str
    description: str
    position: int
    created_at: datetime
    updated_at: datetime
    components: tuple[ComponentView, ...]

    @property
    def status(self) -> str:
        return worst_status([c.status for c in self.components]).value

    @property
    def status_label(self) -> str:
        return str(ComponentStatus(self.status).label)


@dataclass(frozen=True)
class UpdateView:
    public_id: str
    status: str
    body: str
    body_html: str
    created_at: datetime
    display_at: datetime
    affected_components: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class PostmortemView:
    """A published postmortem: the Markdown and its sanitised HTML, as approved."""

    body: str
    body_html: str
    published_at: datetime
    body_last_updated_at: datetime


@dataclass(frozen=True)
class IncidentView:
    public_id: str
    name: str
    status: str
    impact: str
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    identified_at: datetime | None
    monitoring_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[UpdateView, ...]  # newest first
    components: tuple[ComponentView, ...]
    # The promised next public update while open (incidents/cadence/due.py); None once resolved.
    next_update_due: datetime | None = None
    postmortem: PostmortemView | None = None  # once published

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED

    @property
    def status_label(self) -> str:
        return str(IncidentStatus(self.status).label)


@dataclass(frozen=True)
class MaintenanceView:
    public_id: str
    name: str
    status: str
    scheduled_for: datetime
    scheduled_until: datetime
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    updates: tuple[UpdateView, ...]  # newest first
    components: tuple[ComponentView, ...]
    # (component public_id, expected impact while the window runs), in component order.
    impacts: tuple[tuple[str, str], ...] = ()
    # Set once the window runs past its scheduled end: the next update promised.
    next_update_due: datetime | None = None

    @property
    def status_label(self) -> str:
        return str(MaintenanceStatus(self.status).label)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE

    @property
    def overrunning(self) -> bool:
        return self.is_active and self.next_update_due is not None

    @property
    def expected_impacts(self) -> tuple[tuple[ComponentView, str], ...]:
        """Each component with what readers should expect of it, as people read it."""
        # A row written by hand with an unknown impact still renders, as the default.
        known = dict(MaintenanceImpact.choices)
        labels = {code: str(known.get(impact, "")) for code, impact in self.impacts}
        return tuple(
            (c, labels.get(c.public_id) or str(MaintenanceImpact.UNDER_MAINTENANCE.label))
            for c in self.components
        )


@dataclass(frozen=True)
class PublicStatus:
    generated_at: datetime
    updated_at: datetime
    indicator: PageIndicator
    layout: tuple[GroupView | ComponentView, ...]  # top level, in display order
    components: tuple[ComponentView, ...]  # every component, flat
    groups: tuple[GroupView, ...]
    active_incidents: tuple[IncidentView, ...]
    active_maintenance: tuple[MaintenanceView, ...]
    upcoming_maintenance: tuple[MaintenanceView, ...]


# -- building views from models ----------------------------------------------------------


def _vendor_fields(c: Component) -> dict[str, Any]:
    """What the public sees of a vendor component's polling, when the query loaded it
    (`public_components`); nothing for any other component."""
    if not Component.vendor_link.is_cached(c):
        return {}
    link = getattr(c, "vendor_link", None)
    if link is None:
        return {}
    vendor = link.vendor
    fields: dict[str, Any] = {"vendor_fetched_at": vendor.last_fetched_at}
    if vendor.state == VendorState.UNKNOWN:
        # Statuspage has no "unknown": `status` stays the last reported, valid for every
        # v2 client, and the description says it is not current (docs/design.md, "Vendors").
        last = ComponentStatus(c.status).label.lower()
        fields["vendor_unknown"] = True
        fields["description"] = printable(
            f"Status unknown: {vendor.name}'s status page could not be read"
            f" (last reported: {last}).",
            multiline=False,
        )
    return fields


def public_components() -> QuerySet[Component]:
    """Components the current viewer sees (audiences/visibility.py): a vendor's only where
    an Admin chose to show them."""
    return components_visible(
        Component.objects.exclude(vendor_link__vendor__show_on_public_page=False),
        current_viewer(),
    ).select_related("vendor_link__vendor")


def _public_groups(components: Sequence[Component]) -> list[ComponentGroup]:
    """Every group but one holding only hidden components (vendor components until an
    Admin shows them, as "Third-party services"; components limited to audiences the
    viewer is not in): the viewer never sees it, not even its name."""
    shown = {c.group_id for c in components}
    holding = set(Component.objects.values_list("group_id", flat=True))
    return [g for g in ComponentGroup.objects.all() if g.pk in shown or g.pk not in holding]


def _component_view(
    c: Component, group_public_id: str | None = None, **extra: object
) -> ComponentView:
    fields = {"description": c.description, **_vendor_fields(c)}
    return ComponentView(
        public_id=c.public_id,
        name=c.name,
        status=c.status,
        position=c.position,
        group_id=group_public_id,
        showcase=c.showcase,
        only_show_if_degraded=c.only_show_if_degraded,
        start_date=c.start_date,
        created_at=c.created_at,
        updated_at=c.updated_at,
        **fields,
        **extra,  # type: ignore[arg-type]
    )


def _update_view(
    u: IncidentUpdate | MaintenanceUpdate, hidden: frozenset[str] = frozenset()
) -> UpdateView:
    return UpdateView(
        public_id=u.public_id,
        status=u.status,
        body=u.body,
        body_html=u.body_html,
        created_at=u.created_at,
        display_at=u.display_at,
        affected_components=tuple(
            entry
            for entry in affected_components(u.affected_components)
            if entry["code"] not in hidden
        ),
    )


AFFECTED_KEYS = ("code", "name", "old_status", "new_status")


def affected_components(stored: object) -> tuple[dict[str, str], ...]:
    """An update's recorded component changes as every renderer expects them: a row written
    by hand or by an older version (not a list, an entry not an object, a key missing, a
    value not text) must not stop the page or a snapshot from rendering."""
    if not isinstance(stored, list):
        return ()
    return tuple(
        {key: printable(str(entry.get(key) or ""), multiline=False) for key in AFFECTED_KEYS}
        for entry in stored
        if isinstance(entry, dict)
    )


def _component_views(
    components: Iterable[Component], group_ids: dict[int, str]
) -> tuple[ComponentView, ...]:
    return tuple(_component_view(c, group_ids.get(c.group_id or 0)) for c in components)


@_shared_answer
def _group_ids() -> dict[int, str]:
    return dict(ComponentGroup.objects.values_list("pk", "public_id"))


@_shared_answer
def _hidden_codes() -> frozenset[str]:
    preloaded = getattr(_preloaded, "hidden", None)
    return preloaded if preloaded is not None else hidden_component_codes(current_viewer())


def _incident_view(
    i: Incident, group_ids: dict[int, str], hidden: frozenset[str] | None = None
) -> IncidentView:
    hidden = _hidden_codes() if hidden is None else hidden
    return IncidentView(
        public_id=i.public_id,
        name=i.name,
        status=i.status,
        impact=i.impact,
        started_at=i.started_at,
        created_at=i.created_at,
        updated_at=i.updated_at,
        identified_at=i.identified_at,
        monitoring_at=i.monitoring_at,
        resolved_at=i.resolved_at,
        updates=tuple(_update_view(u, hidden) for u in i.updates.all()),
        components=_component_views(i.components.all(), group_ids),
        next_update_due=i.next_update_due,
        postmortem=_postmortem_view(getattr(i, "postmortem", None)),
    )


def _postmortem_view(postmortem: Postmortem | None) -> PostmortemView | None:
    if postmortem is None or postmortem.published_at is None:
        return None
    return PostmortemView(
        body=postmortem.published_body,
        body_html=postmortem.published_body_html,
        published_at=postmortem.published_at,
        body_last_updated_at=postmortem.body_last_updated_at or postmortem.published_at,
    )


def _maintenance_view(
    m: Maintenance, group_ids: dict[int, str], hidden: frozenset[str] | None = None
) -> MaintenanceView:
    hidden = _hidden_codes() if hidden is None else hidden
    return MaintenanceView(
        public_id=m.public_id,
        name=m.name,
        status=m.status,
        scheduled_for=m.scheduled_for,
        scheduled_until=m.scheduled_until,
        started_at=m.started_at,
        completed_at=m.completed_at,
        created_at=m.created_at,
        updated_at=m.updated_at,
        updates=tuple(_update_view(u, hidden) for u in m.updates.all()),
        components=_component_views(m.components.all(), group_ids),
        impacts=tuple(
            (row.component.public_id, row.impact)
            for row in sorted(
                m.maintenancecomponent_set.all(),
                key=lambda row: (row.component.position, row.component.name),
            )
        ),
        next_update_due=m.next_update_due,
    )


def _incidents_query() -> object:
    """Incidents the current viewer sees, each with the updates and components it sees."""
    viewer = current_viewer()
    return incidents_visible(
        Incident.objects.select_related("postmortem"), viewer
    ).prefetch_related(
        Prefetch(
            "updates",
            queryset=updates_visible(IncidentUpdate.objects.all(), viewer).order_by(
                "-display_at", "-pk"
            ),
        ),
        Prefetch(
            "components",
            queryset=components_visible(Component.objects.all(), viewer).order_by(
                "position", "name"
            ),
        ),
    )


def _maintenance_query() -> object:
    viewer = current_viewer()
    return maintenance_visible(Maintenance.objects.all(), viewer).prefetch_related(
        # A "starts soon" reminder went to subscribers; it is not an update of the page.
        Prefetch(
            "updates",
            queryset=updates_visible(
                MaintenanceUpdate.objects.filter(reminder=False), viewer
            ).order_by("-display_at", "-pk"),
        ),
        Prefetch(
            "components",
            queryset=components_visible(Component.objects.all(), viewer).order_by(
                "position", "name"
            ),
        ),
        Prefetch(
            "maintenancecomponent_set",
            queryset=MaintenanceComponent.objects.filter(
                component__in=components_visible(Component.objects.all(), viewer)
            ).select_related("component"),
        ),
    )


# -- the page indicator -----------------------------------------------------------------


@_shared_answer
def overall_indicator() -> PageIndicator:
    """The page indicator alone, for the header of every public page: three small
    queries, where status_summary would build every view."""
    preloaded = getattr(_preloaded, "overall", None)
    if preloaded is not None:
        return preloaded
    viewer = current_viewer()
    return page_indicator(
        list(public_components().values_list("status", flat=True).distinct()),
        list(
            incidents_visible(Incident.objects.exclude(status=IncidentStatus.RESOLVED), viewer)
            .values_list("impact", flat=True)
            .distinct()
        ),
        maintenance_in_progress(),
    )


@_shared_answer
def maintenance_in_progress() -> bool:
    """Whether the current viewer sees a window in progress (the indicator then says so)."""
    return maintenance_visible(
        Maintenance.objects.filter(status__in=ACTIVE_MAINTENANCE), current_viewer()
    ).exists()


# -- public selectors -----------------------------------------------------------------------


def _uptime_by_component(
    components: Sequence[Component], *, now: datetime, days: int
) -> dict[int, tuple[tuple[UptimeDay, ...], float | None]]:
    first_day = (now - timedelta(days=days - 1)).date()
    window_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    past = _past_days_by_component(components, first_day=first_day, days=days, now=now)
    today_start = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    # Only today's changes when the past days are known; the whole window otherwise.
    since = today_start if past is not None else window_start
    for component_id, at, status in (
        ComponentStatusChange.objects.filter(at__gte=since, at__lte=now)
        .order_by("at", "pk")
        .values_list("component_id", "at", "status")
    ):
        changes[component_id].append((at, status))

    # Incidents overlapping the window, for the tooltip of each day they touched: one
    # flat query (no model instances), bucketed by component and day, so a page of 200
    # components over 10,000 incidents does not scan every incident for every day.
    last_day = first_day + timedelta(days=days - 1)
    touched: dict[int, dict[date, list[IncidentRef]]] = defaultdict(lambda: defaultdict(list))
    overlapping = (
        IncidentComponent.objects.filter(
            Q(incident__resolved_at__isnull=True) | Q(incident__resolved_at__gte=window_start),
            incident__started_at__lte=now,
            incident__in=incidents_visible(Incident.objects.all(), current_viewer()),
        )
        .order_by("-incident__started_at", "-incident__pk", "pk")  # Incident's own order
        # UTC days from the database: dates load faster than timestamps.
        .annotate(
            first=TruncDate("incident__started_at", tzinfo=UTC),
            last=TruncDate(Coalesce("incident__resolved_at", Value(now)), tzinfo=UTC),
        )
        .values_list(
            "component_id", "incident__public_id", "incident__name", "incident__impact",
            "first", "last",
        )
    )  # fmt: skip
    refs: dict[str, IncidentRef] = {}
    for component_id, public_id, name, impact, first, last in overlapping:
        ref = refs.get(public_id) or refs.setdefault(
            public_id, IncidentRef(public_id, name, impact)
        )
        day = max(first, first_day)
        last = min(last, last_day)
        by_day = touched[component_id]
        while day <= last:
            by_day[day].append(ref)
            day += timedelta(days=1)

    result = {}
    for component in components:
        if past is not None:
            per_day = daily_uptime_after(
                past[component.pk], today=changes[component.pk], days=days, now=now
            )
        else:
            per_day = daily_uptime_reusing(
                changes=changes[component.pk],
                status_before=component.status_at_window_start,  # type: ignore[attr-defined]
                first_day=first_day,
                days=days,
                now=now,
            )
        by_day = touched.get(component.pk, {})
        views = tuple(UptimeDay(day=d, incidents=tuple(by_day.get(d.day, ()))) for d in per_day)
        result[component.pk] = (views, window_uptime(per_day))
    return result


def _past_days_by_component(
    components: Sequence[Component], *, first_day: date, days: int, now: datetime
) -> dict[int, PastDays] | None:
    """Each component's uptime on the window's days before today, without loading its
    history when this process has computed them already: they are kept by a per-component
    aggregate of the changes before today (count, newest id, newest time; changes are only
    ever added, each with a higher id), one grouped query instead of 20,000 timestamps.
    None when the window has no past day to keep (a window of today alone)."""
    today = now.astimezone(UTC).date()
    past = (today - first_day).days
    if not 0 < past < days:
        return None
    window_start = datetime.combine(first_day, time.min, tzinfo=UTC)
    today_start = datetime.combine(today, time.min, tzinfo=UTC)
    before_today = ComponentStatusChange.objects.filter(at__gte=window_start, at__lt=today_start)
    aggregates = {
        component_id: (count, newest_id, newest_at)
        for component_id, count, newest_id, newest_at in before_today.values("component_id")
        .annotate(count=Count("pk"), newest_id=Max("pk"), newest_at=Max("at"))
        .values_list("component_id", "count", "newest_id", "newest_at")
    }
    keys = {
        c.pk: (
            "uptime-past", c.pk, c.status_at_window_start,  # type: ignore[attr-defined]
            first_day, past, aggregates.get(c.pk, (0, None, None)),
        )
        for c in components
    }  # fmt: skip
    found: dict[int, PastDays] = {}
    for pk, key in keys.items():
        if (kept := past_days_kept(key)) is not None:
            found[pk] = kept
    missing = [c for c in components if c.pk not in found]
    if missing:  # computed once per history: the first render, or after a past change
        history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        for component_id, at, status in (
            before_today.filter(component_id__in=[c.pk for c in missing])
            .order_by("at", "pk")
            .values_list("component_id", "at", "status")
        ):
            history[component_id].append((at, status))
        for c in missing:
            found[c.pk] = past_days_keep(
                keys[c.pk],
                changes=history[c.pk],
                status_before=c.status_at_window_start,  # type: ignore[attr-defined]
                first_day=first_day,
                days=past,
            )
    return found


def maintenance_intervals(component_id: int, *, now: datetime) -> list[tuple[datetime, datetime]]:
    """The component's announced maintenance, as it ran: started to completed (to `now`
    for a window still running). A window cancelled before it started has none."""
    rows = MaintenanceComponent.objects.filter(
        component_id=component_id,
        maintenance__started_at__isnull=False,
        maintenance__in=maintenance_visible(Maintenance.objects.all(), current_viewer()),
    ).values_list("maintenance__started_at", "maintenance__completed_at")
    return [(started, completed or now) for started, completed in rows if started is not None]


def component_uptime_both_ways(
    component: Component, *, start: datetime, end: datetime
) -> UptimeBothWays:
    """Uptime of the component over [start, end), with and without its maintenance."""
    before = (
        ComponentStatusChange.objects.filter(component=component, at__lt=start)
        .order_by("-at", "-pk")
        .values_list("status", flat=True)
        .first()
    )
    changes = list(
        ComponentStatusChange.objects.filter(component=component, at__gte=start, at__lt=end)
        .order_by("at", "pk")
        .values_list("at", "status")
    )
    points = ([(start, before)] if before else []) + changes
    statuses = [
        (at, points[i + 1][0] if i + 1 < len(points) else end, status)
        for i, (at, status) in enumerate(points)
    ]
    return uptime_both_ways(
        statuses=statuses,
        maintenance=maintenance_intervals(component.pk, now=end),
        start=start,
        end=end,
    )


@contextmanager
def status_shared() -> Iterator[None]:
    """In this thread, public_status computes once per uptime window and answers later
    calls with that: for the snapshot renderer, whose front page and uptime.json then show
    the same moment, and pay for 200 components' bars once instead of twice."""
    with _statuses.open():
        yield


def public_status(*, now: datetime, uptime_days: int | None = None) -> PublicStatus:
    days = uptime_days or settings.CANDOR_UPTIME_DAYS
    shared: dict[int, PublicStatus] | None = _statuses.memo()
    if shared is not None:
        if days not in shared:
            shared[days] = _public_status(now=now, days=days)
        return shared[days]
    return _public_status(now=now, days=days)


def _public_status(*, now: datetime, days: int) -> PublicStatus:
    first_day = (now - timedelta(days=days - 1)).date()
    window_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    components = list(
        public_components()
        .annotate(
            status_at_window_start=Subquery(
                ComponentStatusChange.objects.filter(component=OuterRef("pk"), at__lt=window_start)
                .order_by("-at", "-pk")
                .values("status")[:1]
            )
        )
        .order_by("position", "name")
    )
    groups = _public_groups(components)
    group_ids = {g.pk: g.public_id for g in groups}
    hidden = _hidden_codes()
    uptime = _uptime_by_component(components, now=now, days=days)
    views = {
        c.pk: _component_view(
            c,
            group_ids.get(c.group_id or 0),
            uptime_days=uptime[c.pk][0],
            uptime=uptime[c.pk][1],
        )
        for c in components
    }
    group_views = []
    for g in groups:
        group_views.append(
            GroupView(
                public_id=g.public_id,
                name=g.name,
                description=g.description,
                position=g.position,
                created_at=g.created_at,
                updated_at=g.updated_at,
                components=tuple(views[c.pk] for c in components if c.group_id == g.pk),
            )
        )
    top_level: list[GroupView | ComponentView] = [g for g in group_views if g.components]
    top_level += [views[c.pk] for c in components if c.group_id is None]
    top_level.sort(key=lambda item: (item.position, item.name))

    active_incidents = [
        _incident_view(i, group_ids, hidden)
        for i in _incidents_query().exclude(status=IncidentStatus.RESOLVED)  # type: ignore[attr-defined]
    ]
    open_maintenance = [
        _maintenance_view(m, group_ids, hidden)
        for m in _maintenance_query()  # type: ignore[attr-defined]
        .exclude(status=MaintenanceStatus.COMPLETED)
        .order_by("scheduled_for", "pk")
    ]
    active = tuple(m for m in open_maintenance if m.status in ACTIVE_MAINTENANCE)
    upcoming = tuple(m for m in open_maintenance if m.status == MaintenanceStatus.SCHEDULED)
    stamps = [now.replace(year=2000)]  # a floor for an empty page
    stamps += [c.updated_at for c in components] + [g.updated_at for g in groups]
    stamps += [i.updated_at for i in active_incidents] + [m.updated_at for m in open_maintenance]
    return PublicStatus(
        generated_at=now,
        updated_at=max(stamps),
        indicator=page_indicator(
            [c.status for c in components], [i.impact for i in active_incidents], bool(active)
        ),
        layout=tuple(top_level),
        components=tuple(views[c.pk] for c in components),
        groups=tuple(group_views),
        active_incidents=tuple(active_incidents),
        active_maintenance=active,
        upcoming_maintenance=upcoming,
    )


def components_flat() -> tuple[list[GroupView], list[ComponentView]]:
    """Groups and components without uptime: what components.json needs."""
    components = list(public_components().order_by("position", "name"))
    groups = _public_groups(components)
    group_ids = {g.pk: g.public_id for g in groups}
    group_views = [
        GroupView(
            public_id=g.public_id,
            name=g.name,
            description=g.description,
            position=g.position,
            created_at=g.created_at,
            updated_at=g.updated_at,
            components=tuple(
                _component_view(c, g.public_id) for c in components if c.group_id == g.pk
            ),
        )
        for g in groups
    ]
    component_views = [_component_view(c, group_ids.get(c.group_id or 0)) for c in components]
    return group_views, component_views


@_shared_answer
def incidents_recent(
    *, limit: int = HISTORY_LIMIT, unresolved_only: bool = False
) -> list[IncidentView]:
    query = _incidents_query()
    if unresolved_only:
        query = query.exclude(status=IncidentStatus.RESOLVED)  # type: ignore[attr-defined]
    group_ids = _group_ids()
    hidden = _hidden_codes()
    shown = query.order_by("-started_at", "-pk")[:limit]  # type: ignore[attr-defined]
    return [_incident_view(i, group_ids, hidden) for i in shown]


@_shared_answer
def maintenances_recent(
    *, limit: int = HISTORY_LIMIT, statuses: tuple[str, ...] | None = None
) -> list[MaintenanceView]:
    query = _maintenance_query()
    if statuses:
        query = query.filter(status__in=statuses)  # type: ignore[attr-defined]
        order = ("scheduled_for", "pk")
    else:
        order = ("-scheduled_for", "-pk")
    group_ids = _group_ids()
    hidden = _hidden_codes()
    shown = query.order_by(*order)[:limit]  # type: ignore[attr-defined]
    return [_maintenance_view(m, group_ids, hidden) for m in shown]


_preloaded = threading.local()


@contextmanager
def details_preloaded() -> Iterator[None]:
    """In this thread, incident_detail and maintenance_detail answer from one query each.

    For the snapshot renderer, which renders every incident and maintenance page: the
    same views, the same bytes, without four queries per page.
    """
    group_ids = _group_ids()
    hidden = _hidden_codes()
    _preloaded.incidents = {
        i.public_id: _incident_view(i, group_ids, hidden)
        for i in _incidents_query()  # type: ignore[attr-defined]
    }
    _preloaded.maintenance = {
        m.public_id: _maintenance_view(m, group_ids, hidden)
        for m in _maintenance_query()  # type: ignore[attr-defined]
    }
    _preloaded.overall = overall_indicator()  # the header of every page
    _preloaded.hidden = hidden
    try:
        yield
    finally:
        del _preloaded.incidents, _preloaded.maintenance, _preloaded.overall, _preloaded.hidden


@_shared_answer
def incident_detail(public_id: str) -> IncidentView | None:
    preloaded = getattr(_preloaded, "incidents", None)
    if preloaded is not None:
        return preloaded.get(public_id)
    incident = _incidents_query().filter(public_id=public_id).first()  # type: ignore[attr-defined]
    return _incident_view(incident, _group_ids()) if incident else None


@_shared_answer
def maintenance_detail(public_id: str) -> MaintenanceView | None:
    preloaded = getattr(_preloaded, "maintenance", None)
    if preloaded is not None:
        return preloaded.get(public_id)
    maintenance = _maintenance_query().filter(public_id=public_id).first()  # type: ignore[attr-defined]
    return _maintenance_view(maintenance, _group_ids()) if maintenance else None


@dataclass(frozen=True)
class MonthHistory:
    """One page of a month's history: its incidents and maintenance, newest first."""

    year: int
    month: int
    incidents: tuple[IncidentView, ...]
    maintenance: tuple[MaintenanceView, ...]
    incident_count: int = 0  # in the whole month, not just this page
    maintenance_count: int = 0
    page: int = 1
    pages: int = 1

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def more(self) -> bool:
        """Whether the month has more than this page shows."""
        return len(self.incidents) < self.incident_count or (
            len(self.maintenance) < self.maintenance_count
        )


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _month_queries(year: int, month: int) -> tuple[Any, Any]:
    start, end = _month_bounds(year, month)
    viewer = current_viewer()
    incidents = incidents_visible(
        Incident.objects.filter(started_at__gte=start, started_at__lt=end), viewer
    )
    maintenance = maintenance_visible(
        Maintenance.objects.filter(scheduled_for__gte=start, scheduled_for__lt=end).exclude(
            status=MaintenanceStatus.SCHEDULED
        ),
        viewer,
    )
    return incidents, maintenance


# A month's pages are cut from its oldest item: counted from the oldest, items 1-100 are
# the last page, 101-200 the one before, and page 1 (the month's own URL, newest first)
# holds the rest, 1 to 100 of them. A new incident (the newest) so changes page 1 only,
# and an update changes the one page listing its incident: a publish renders those, not
# every page of the month (publish/dependencies.py). Only when the oldest-anchored pages
# run out does a page come before them, and every page's number moves by one.


def page_count(count: int, per_page: int) -> int:
    """How many pages `count` items take; none is one (empty) page."""
    return max(1, -(-count // per_page))


def page_window(count: int, page: int, per_page: int) -> slice:
    """Which of `count` items, newest first, page `page` (from 1) shows."""
    block = page_count(count, per_page) - page  # counted from the oldest, from 0
    if block < 0 or count == 0:
        return slice(0, 0)
    oldest, newest = block * per_page, min((block + 1) * per_page, count)
    return slice(count - newest, count - oldest)


def page_of(position: int, count: int, per_page: int) -> int:
    """The page listing the item at `position` (0 = the oldest) of `count` items."""
    return page_count(count, per_page) - position // per_page


def month_pages(*, year: int, month: int, per_page: int) -> int:
    """How many pages of `per_page` incidents (and as many maintenance windows) a month
    takes; an empty month is one page."""
    incidents, maintenance = _month_queries(year, month)
    most = max(incidents.count(), maintenance.count())
    return page_count(most, per_page)


@contextmanager
def history_shared() -> Iterator[None]:
    """In this thread, month_history computes each page of a month once and answers later
    calls with it: for the snapshot renderer, which renders /history and a month's page
    once per language (the views carry no words of a language, the templates do)."""
    with _months.open():
        yield


def month_history(
    *,
    year: int,
    month: int,
    page: int = 1,
    per_page: int | None = None,
    newest: int | None = None,
) -> MonthHistory:
    """Page `page` (from 1) of a month, up to `per_page` incidents and as many maintenance
    windows (see page_window); with `newest`, the newest that many; every one of them
    without either."""
    shared: dict[tuple[Any, ...], MonthHistory] | None = _months.memo()
    if shared is None:
        return _month_history(year, month, page, per_page, newest)
    key = (current_viewer(), year, month, page, per_page, newest)
    if key not in shared:
        shared[key] = _month_history(year, month, page, per_page, newest)
    return shared[key]


def _month_history(
    year: int, month: int, page: int, per_page: int | None, newest: int | None
) -> MonthHistory:
    incidents, maintenance = _month_queries(year, month)
    incident_count, maintenance_count = incidents.count(), maintenance.count()
    incident_window = maintenance_window = slice(None)
    pages = 1
    if newest is not None:
        incident_window = maintenance_window = slice(0, newest)
    elif per_page is not None:
        incident_window = page_window(incident_count, page, per_page)
        maintenance_window = page_window(maintenance_count, page, per_page)
        pages = max(page_count(incident_count, per_page), page_count(maintenance_count, per_page))
    group_ids = _group_ids()
    hidden = _hidden_codes()
    shown_incidents = (
        _incidents_query()  # type: ignore[attr-defined]
        .filter(pk__in=incidents.values("pk"))
        .order_by("-started_at", "-pk")[incident_window]
    )
    shown_maintenance = (
        _maintenance_query()  # type: ignore[attr-defined]
        .filter(pk__in=maintenance.values("pk"))
        .order_by("-scheduled_for", "-pk")[maintenance_window]
    )
    return MonthHistory(
        year=year,
        month=month,
        incidents=tuple(_incident_view(i, group_ids, hidden) for i in shown_incidents),
        maintenance=tuple(_maintenance_view(m, group_ids, hidden) for m in shown_maintenance),
        incident_count=incident_count,
        maintenance_count=maintenance_count,
        page=page,
        pages=pages,
    )


@_shared_answer
def oldest_history_month() -> tuple[int, int] | None:
    """(year, month) of the oldest incident or maintenance window; None if there is none."""
    viewer = current_viewer()
    firsts = [
        incidents_visible(Incident.objects.all(), viewer).aggregate(first=Min("started_at"))[
            "first"
        ],
        maintenance_visible(Maintenance.objects.all(), viewer).aggregate(
            first=Min("scheduled_for")
        )["first"],
    ]
    found = [at.astimezone(UTC) for at in firsts if at is not None]
    return min((at.year, at.month) for at in found) if found else None


def history_months(
    *,
    now: datetime,
    count: int = 3,
    before: tuple[int, int] | None = None,
    per_month: int | None = None,
) -> list[MonthHistory]:
    """`count` months ending with `before` (default: the current month), newest first,
    each with its newest `per_month` incidents and maintenance windows (all without)."""
    year, month = before or (now.year, now.month)
    months = []
    for _ in range(count):
        months.append(month_history(year=year, month=month, newest=per_month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


# -- the Statuspage-compatible API --------------------------------------------------------


@dataclass(frozen=True)
class StatusSummary:
    """What /api/v2/summary.json and status.json say: no uptime, which the API never shows."""

    updated_at: datetime
    indicator: PageIndicator
    groups: tuple[GroupView, ...]
    components: tuple[ComponentView, ...]  # every component, flat, in display order
    active_incidents: tuple[IncidentView, ...]
    active_maintenance: tuple[MaintenanceView, ...]
    upcoming_maintenance: tuple[MaintenanceView, ...]


def page_updated_at(*, now: datetime) -> datetime:
    """When anything public last changed, resolved incidents and completed windows included.

    Every v2 document carries the same page.updated_at, so a client polling any one of them
    sees the page move when an incident is resolved, not only while it is open.
    """
    floor = now.replace(year=2000)  # for an empty page
    return max([floor, *_latest_changes()])


@_shared_answer
def _latest_changes() -> list[datetime]:
    viewer = current_viewer()
    stamps = []
    # A change the viewer cannot see does not move their page: its time would tell.
    for query in (
        components_visible(Component.objects.all(), viewer),
        ComponentGroup.objects.all(),
        incidents_visible(Incident.objects.all(), viewer),
        maintenance_visible(Maintenance.objects.all(), viewer),
    ):
        latest = query.aggregate(latest=Max("updated_at"))["latest"]
        if latest is not None:
            stamps.append(latest)
    return stamps


def status_summary(*, now: datetime) -> StatusSummary:
    groups, components = components_flat()
    active_incidents = incidents_recent(limit=HISTORY_LIMIT, unresolved_only=True)
    active = maintenances_recent(statuses=tuple(ACTIVE_MAINTENANCE))
    upcoming = maintenances_recent(statuses=(MaintenanceStatus.SCHEDULED,))
    return StatusSummary(
        updated_at=page_updated_at(now=now),
        indicator=page_indicator(
            [c.status for c in components], [i.impact for i in active_incidents], bool(active)
        ),
        groups=tuple(groups),
        components=tuple(components),
        active_incidents=tuple(active_incidents),
        active_maintenance=tuple(active),
        upcoming_maintenance=tuple(upcoming),
    )
