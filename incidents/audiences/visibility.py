"""The one set of rules for what a viewer may read (docs/design.md, "Audiences").

- A component, incident or maintenance window with no audience is public; one limited to
  audiences is seen only by readers of one of them, and by nobody else in any form: not
  its name, not its status, not an uptime tooltip, not a count.
- An update's words with an audience are read only by that audience's readers, even inside
  a public incident; the public timeline simply has no such entry.
- A public incident or update that names a hidden component names it to its readers only.
- The overall indicator is computed from what the viewer sees: a hidden component's
  outage colours the page of its audience, never the public one.

Every selector filters through these functions with the current viewer
(`viewer.current_viewer()`), so a read path that is not told otherwise shows the public.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from incidents.audiences.viewer import Viewer
from incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Postmortem,
)

M = TypeVar("M", bound=Model)


def _limited_filter(model: type[Model], fk: str, viewer: Viewer) -> Any:
    through: Any = model.audiences.through  # type: ignore[attr-defined]
    limited = Exists(through.objects.filter(**{fk: OuterRef("pk")}))
    if viewer.public:
        return ~limited
    theirs = Exists(
        through.objects.filter(**{fk: OuterRef("pk"), "audience_id__in": viewer.audience_ids})
    )
    return ~limited | theirs


def components_visible(query: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    return query.filter(_limited_filter(Component, "component_id", viewer))


def incidents_visible(query: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    return query.filter(_limited_filter(Incident, "incident_id", viewer))


def maintenance_visible(query: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    return query.filter(_limited_filter(Maintenance, "maintenance_id", viewer))


def updates_visible(query: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    """Incident or maintenance updates whose words the viewer may read."""
    if viewer.public:
        return query.filter(audience__isnull=True)
    return query.filter(Q(audience__isnull=True) | Q(audience_id__in=viewer.audience_ids))


def hidden_component_codes(viewer: Viewer) -> frozenset[str]:
    """Public ids of the components this viewer may not see: an update's recorded
    component changes drop them, as its component list does."""
    through: Any = Component.audiences.through
    limited = Component.objects.filter(Exists(through.objects.filter(component_id=OuterRef("pk"))))
    if not viewer.public:
        limited = limited.exclude(
            Exists(
                through.objects.filter(
                    component_id=OuterRef("pk"), audience_id__in=viewer.audience_ids
                )
            )
        )
    return frozenset(limited.values_list("public_id", flat=True))


def update_visible_to(
    *, update_audience_id: int | None, owner_audience_ids: set[int], viewer: Viewer
) -> bool:
    """Whether one update (of an incident or window limited to `owner_audience_ids`,
    empty: public) may be read by the viewer: the decision the fan-out makes per subscriber."""
    if owner_audience_ids and not (owner_audience_ids & viewer.audience_ids):
        return False
    return update_audience_id is None or update_audience_id in viewer.audience_ids


# While a snapshot renders, each viewer's hidden ids are computed once: every shard of the
# notices index asks, and four queries a shard would grow with the site.
_hidden_fixed: ContextVar[dict[Viewer, frozenset[str]] | None] = ContextVar(
    "hidden_notices", default=None
)


@contextmanager
def hidden_notices_fixed() -> Iterator[None]:
    token = _hidden_fixed.set({})
    try:
        yield
    finally:
        _hidden_fixed.reset(token)


def hidden_notice_ids(viewer: Viewer) -> frozenset[str]:
    """Public ids the viewer may not read of: incidents and maintenance windows limited to
    other audiences, and audience-only updates not theirs. The signed notices index
    (/verify/notices.json) leaves out every notice about one of them."""
    fixed = _hidden_fixed.get()
    if fixed is not None and viewer in fixed:
        return fixed[viewer]
    hidden: set[str] = set()
    for model, updates in ((Incident, IncidentUpdate), (Maintenance, MaintenanceUpdate)):
        visible = _limited_filter(model, f"{model._meta.model_name}_id", viewer)
        hidden.update(model.objects.exclude(visible).values_list("public_id", flat=True))
        words = updates.objects.filter(audience__isnull=False)
        if not viewer.public:
            words = words.exclude(audience_id__in=viewer.audience_ids)
        hidden.update(words.values_list("public_id", flat=True))
    if fixed is not None:
        fixed[viewer] = frozenset(hidden)
    return frozenset(hidden)


def update_readers(
    update: IncidentUpdate | MaintenanceUpdate | Postmortem,
) -> frozenset[int] | None:
    """Who may read one update: None for everyone (public words of a public incident or
    window), otherwise the audiences whose readers may (empty: nobody, as audience words
    for an audience the incident is not limited to). The fan-out sends to subscribers of
    these audiences only (notify/outbox.py). A postmortem is read by whoever reads its
    incident."""
    parent: Incident | Maintenance = (
        update.maintenance if isinstance(update, MaintenanceUpdate) else update.incident
    )
    if isinstance(update, Postmortem):
        return frozenset(parent.audiences.values_list("pk", flat=True)) or None
    # An unsaved draft (the send forecast's) has no audiences yet: counted as public, so a
    # forecast errs on the side of more messages, never fewer.
    owners = (
        frozenset(parent.audiences.values_list("pk", flat=True))
        if parent.pk is not None
        else frozenset()
    )
    if update.audience_id is None:
        return owners or None
    if owners and update.audience_id not in owners:
        return frozenset()
    return frozenset({update.audience_id})
