"""Approved words for the benchmarks' demo incidents: since issue 4, lifecycle publishes
only approved words, so a benchmark that opens incidents installs the default templates
(approved by a legal and a support approver, as seed_demo does) and fills them in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def templates_install() -> None:
    """The default template set, approved; call once on a fresh database."""
    from django.contrib.auth.models import Group, User

    from incidents import roles
    from incidents.audit import Actor
    from incidents.wording.default_templates import default_templates_install

    def person(name: str, group: str) -> Actor:
        user = User.objects.create_user(name, f"{name}@example.com", is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        return Actor.staff(user, channel="system")

    default_templates_install(
        author=person("bench-author", roles.COMMUNICATOR),
        approvers=[
            person("bench-legal", roles.APPROVER_LEGAL),
            person("bench-support", roles.APPROVER_SUPPORT),
        ],
    )


def words(
    phase: str, *, title: str, components: Sequence[str], started_at: datetime, now: datetime
) -> str:
    """The phase's approved template filled in, promising the next update in 10 minutes
    (within the default cadence, which the promise rule enforces)."""
    from incidents import wording
    from incidents.wording import approvals

    values = wording.values_for(
        title=title,
        component_names=components,
        started_at=started_at,
        next_update_at=now + timedelta(minutes=10),
    )
    found = approvals.template_words(phase, values)
    if found is None:
        raise RuntimeError(f"no approved template for {phase}: run templates_install() first")
    return found
