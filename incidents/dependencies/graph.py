"""Editing the dependency graph: every write validated, audited, and free of cycles."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import roles
from incidents.audit import Actor, audit_record
from incidents.dependencies.lock import GRAPH, transaction_lock
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import AuditAction, Component, ComponentDependency, DependencyKind

# Marking an edge auto-apply lets impact reach the public with no responder: an Admin's
# decision, like the rest of the publishing policy.
AUTO_APPLY_PERMISSION = roles.MANAGE_POLICY


def _check_kind(kind: str) -> None:
    if kind not in DependencyKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(DependencyKind.values)}."]})


def _check_auto_apply(actor: Actor, auto_apply: bool) -> None:
    if auto_apply:
        roles.require_permission(actor, AUTO_APPLY_PERMISSION)


def path_between(start: int, goal: int) -> list[int] | None:
    """The component ids of a path start → ... → goal following upstream → downstream
    edges as stored now, or None."""
    children: dict[int, list[int]] = defaultdict(list)
    for up, down in ComponentDependency.objects.values_list("upstream_id", "downstream_id"):
        children[up].append(down)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for child in children[node]:
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    return None


def _refuse_cycle(upstream: Component, downstream: Component) -> None:
    """`downstream` depending on `upstream` closes a cycle if `upstream` already depends,
    through any chain, on `downstream`."""
    if upstream.pk == downstream.pk:
        raise ValidationError({"upstream": ["A component cannot depend on itself."]})
    chain = path_between(downstream.pk, upstream.pk)
    if chain is None:
        return
    names = Component.objects.in_bulk(chain)
    # Read as "depends on": downstream, upstream, ..., downstream.
    cycle = [downstream.name, *(names[pk].name for pk in reversed(chain))]
    raise ValidationError(
        {"upstream": ["This would make a cycle: " + " depends on ".join(cycle) + "."]}
    )


def dependency_add(
    *,
    actor: Actor,
    upstream: Component,
    downstream: Component,
    kind: str,
    auto_apply: bool = False,
    now: datetime | None = None,
) -> ComponentDependency:
    """Record that `downstream` depends on `upstream`."""
    now = now or timezone.now()
    _check_kind(kind)
    _check_auto_apply(actor, auto_apply)
    with transaction.atomic():
        transaction_lock(GRAPH)
        if ComponentDependency.objects.filter(upstream=upstream, downstream=downstream).exists():
            raise ValidationError(
                {"upstream": [f"{downstream.name} already depends on {upstream.name}."]}
            )
        _refuse_cycle(upstream, downstream)
        dependency = ComponentDependency.objects.create(
            upstream=upstream,
            downstream=downstream,
            kind=kind,
            auto_apply=auto_apply,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditAction.DEPENDENCY_ADDED,
            target=dependency,
            summary=f"{downstream.name!r} depends on {upstream.name!r} ({kind})",
            at=now,
            data={
                "upstream": upstream.public_id,
                "downstream": downstream.public_id,
                "kind": kind,
                "auto_apply": auto_apply,
            },
        )
        # An edge added under an upstream that is already down has impact now.
        impact_recheck([upstream.pk])
    return dependency


def dependency_edit(
    *,
    actor: Actor,
    dependency: ComponentDependency,
    kind: str,
    auto_apply: bool,
    now: datetime | None = None,
) -> ComponentDependency:
    now = now or timezone.now()
    _check_kind(kind)
    with transaction.atomic():
        transaction_lock(GRAPH)
        locked = ComponentDependency.objects.select_related("upstream", "downstream").get(
            pk=dependency.pk
        )
        if auto_apply != locked.auto_apply:
            roles.require_permission(actor, AUTO_APPLY_PERMISSION)
        old = {"kind": locked.kind, "auto_apply": locked.auto_apply}
        locked.kind, locked.auto_apply, locked.updated_at = kind, auto_apply, now
        locked.save(update_fields=["kind", "auto_apply", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.DEPENDENCY_EDITED,
            target=locked,
            summary=f"{locked.downstream.name!r} on {locked.upstream.name!r}: {kind}"
            + (", applied automatically" if auto_apply else ""),
            at=now,
            data={"old": old, "new": {"kind": kind, "auto_apply": auto_apply}},
        )
        impact_recheck([locked.upstream_id])
    return locked


def dependency_remove(
    *, actor: Actor, dependency: ComponentDependency, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        transaction_lock(GRAPH)
        locked = (
            ComponentDependency.objects.select_related("upstream", "downstream")
            .filter(pk=dependency.pk)
            .first()
        )
        if locked is None:
            return  # removed meanwhile: the outcome asked for
        audit_record(
            actor=actor,
            action=AuditAction.DEPENDENCY_REMOVED,
            target=locked,
            summary=f"{locked.downstream.name!r} no longer depends on {locked.upstream.name!r}",
            at=now,
            data={"upstream": locked.upstream.public_id, "downstream": locked.downstream.public_id},
        )
        locked.delete()
        impact_recheck([locked.upstream_id])


def impact_recheck(component_ids: list[int]) -> None:
    """After the commit, propose (or withdraw) the impact of these components' statuses."""
    enqueue_on_commit(
        "incidents.tasks.impact_propagate", sorted(set(component_ids)), fallback=Fallback.HERE
    )
