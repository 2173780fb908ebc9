"""Demo data for a first run: a page with history, an open incident and maintenance ahead.

Everything is written through lifecycle with past timestamps, so the status history, the
uptime bars and the audit log agree with each other exactly as they would in real use.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.utils import timezone

from incidents import cadence, lifecycle, roles, wording
from incidents.audit import Actor
from incidents.dependencies import graph
from incidents.models import Component, ComponentStatus, Contact, Incident, Phase
from incidents.publish.trigger import publishing_deferred
from incidents.reliability.visibility import FIGURES, report_visibility_set
from incidents.reminders.plan import policy_schedule
from incidents.reminders.services import contact_save, incident_owners_set
from incidents.wording import approvals, decisions, drafts
from incidents.wording.default_templates import default_templates_install
from incidents.wording.postmortems import postmortem_templates

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "candor-demo-password"  # noqa: S105 - printed for the newcomer on purpose
# Two approvers, so the demo's templates can be approved (nobody approves their own words)
# and a newcomer can try approving: same password as demo.
DEMO_APPROVERS = {"demo-legal": roles.APPROVER_LEGAL, "demo-support": roles.APPROVER_SUPPORT}

LAYOUT = {
    "Core platform": ["Web application", "Public API", "Sign-in and SSO"],
    "Data": ["Primary database", "File storage", "Search"],
    None: ["Email notifications", "Webhooks"],
}

PAST_INCIDENTS = [
    ("Elevated error rates on the Public API", "Public API", "partial_outage", "minor"),
    ("Delayed email notifications", "Email notifications", "degraded_performance", "minor"),
    ("Sign-in failures for SSO users", "Sign-in and SSO", "major_outage", "major"),
    ("Slow search results", "Search", "degraded_performance", "minor"),
    ("File uploads failing in us-east-1", "File storage", "partial_outage", "major"),
    ("Primary database failover", "Primary database", "major_outage", "critical"),
    ("Webhook deliveries delayed", "Webhooks", "degraded_performance", "minor"),
]

# (downstream, upstream, kind): the demo's dependency graph.
DEPENDENCIES = [
    ("Public API", "Primary database", "hard"),
    ("Web application", "Public API", "hard"),
    ("Web application", "Sign-in and SSO", "hard"),
    ("Web application", "File storage", "soft"),
    ("Search", "Primary database", "soft"),
    ("Email notifications", "Primary database", "soft"),
    ("Webhooks", "Public API", "soft"),
]

# Each phase of a past incident, published in the phase's approved template.
TIMELINE = [
    (Phase.INVESTIGATING, timedelta(0)),
    (Phase.IDENTIFIED, timedelta(minutes=18)),
    (Phase.MONITORING, timedelta(minutes=47)),
    (Phase.RESOLVED, timedelta(minutes=95)),
]


class Command(BaseCommand):
    help = "Load demo data (groups, components, 90 days of history, incidents, maintenance)."

    def handle(self, *args: Any, **options: Any) -> None:
        demo, approvers = self._demo_users()
        if Component.objects.exists():
            self.stdout.write("Demo data already present; left as it is.")
            return
        now = timezone.now().replace(microsecond=0)
        actor = Actor.system("demo")
        since = now - timedelta(days=92)
        self.demo, self.approvers = demo, approvers
        default_templates_install(author=demo, approvers=approvers, now=since)
        with publishing_deferred():  # one publish of the finished demo, not one per change
            components = self._components(actor, since=since)
            latest = self._past_incidents(actor, components, now=now)
            self._postmortem(latest)
            self._dependencies(actor, components)
            owner = self._contacts(actor)
            self._open_incident(actor, components, now=now, owner=owner)
            self._maintenance(actor, components, now=now)
            # The reliability report on, every figure shown: the demo shows what it can do.
            report_visibility_set(actor=actor, enabled=True, figures=FIGURES, hidden=[])
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _demo_users(self) -> tuple[Actor, list[Actor]]:
        """demo, an Admin; demo-legal and demo-support, approvers. All sign in with the
        demo password (2FA is not forced on them: see README, "Two-factor login")."""
        accounts = {DEMO_USERNAME: roles.ADMIN, **DEMO_APPROVERS}
        actors = []
        for username, role in accounts.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": username == DEMO_USERNAME},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=role))
            actors.append(Actor.staff(user, channel="cli"))
        return actors[0], actors[1:]

    @staticmethod
    def _words(phase: str, **values: Any) -> str:
        words = approvals.template_words(phase, wording.values_for(**values))
        assert words is not None  # default_templates_install approved one for every phase
        return words

    def _components(self, actor: Actor, *, since: datetime) -> dict[str, Component]:
        components = {}
        position = 0
        for group_name, names in LAYOUT.items():
            group = None
            if group_name:
                group = lifecycle.group_create(
                    actor=actor, name=group_name, position=position, now=since
                )
            for name in names:
                position += 1
                components[name] = lifecycle.component_save(
                    actor=actor,
                    name=name,
                    group=group,
                    position=position,
                    description=f"{name} for all customers.",
                    now=since,
                )
        return components

    def _dependencies(self, actor: Actor, components: dict[str, Component]) -> None:
        """What depends on what: the open incident's impact is then proposed downstream."""
        for downstream, upstream, kind in DEPENDENCIES:
            graph.dependency_add(
                actor=actor,
                upstream=components[upstream],
                downstream=components[downstream],
                kind=kind,
            )

    def _past_incidents(
        self, actor: Actor, components: dict[str, Component], *, now: datetime
    ) -> Incident:
        """Resolved incidents, each through every phase; the most recent is returned."""
        rng = random.Random(2026)  # the same demo every time
        starts = sorted(
            now - timedelta(days=rng.randint(3, 85), hours=rng.randint(0, 20))
            for _ in PAST_INCIDENTS
        )
        for start, (name, component, status, impact) in zip(starts, PAST_INCIDENTS, strict=True):
            incident = None
            for phase, offset in TIMELINE:
                body = self._words(
                    phase,
                    title=name,
                    component_names=[component],
                    started_at=start,
                    # What the cadence will promise once these words are posted.
                    next_update_at=drafts.next_update_at(incident, now=start + offset)
                    if incident
                    else cadence.first_due(opened_at=start, schedule=policy_schedule(impact)),
                )
                if incident is None:
                    incident = lifecycle.incident_open(
                        actor=actor,
                        name=name,
                        body=body,
                        impact=impact,
                        components={components[component]: ComponentStatus(status)},
                        now=start,
                    )
                else:
                    lifecycle.update_post(
                        actor=actor,
                        incident=incident,
                        body=body,
                        status=phase,
                        now=start + offset,
                    )
        assert incident is not None
        incident.refresh_from_db()
        return incident

    def _postmortem(self, incident: Incident) -> None:
        """The latest incident's postmortem, from the default template, approved by both
        demo approvers and published, through the services the console uses."""
        version = postmortem_templates()[0]
        body = lifecycle.draft_start(incident, version).replace(
            "### Root cause\n",
            "### Root cause\n\nA configuration change reduced the capacity of one service "
            "during the evening peak.\n",
        )
        body += "\nConfiguration changes now go to one region first, with an alert on capacity."
        revision = lifecycle.postmortem_save(
            actor=self.demo, incident=incident, body=body, template_version=version
        )
        for approver in self.approvers:
            lifecycle.postmortem_approve(actor=approver, revision=revision)
        lifecycle.postmortem_publish(actor=self.demo, postmortem=revision.postmortem)

    def _contacts(self, actor: Actor) -> Contact:
        """Who reminders reach: an owner, the on-call fallback, an escalation ladder."""
        contact_save(actor=actor, name="On-call engineer", email="oncall@example.com", on_call=True)
        contact_save(actor=actor, name="Comms lead", email="comms@example.com", escalation_rank=1)
        contact_save(
            actor=actor, name="Incident commander", email="ic@example.com", escalation_rank=2
        )
        return contact_save(actor=actor, name="Dana (storage)", email="dana@example.com")

    def _open_incident(
        self, actor: Actor, components: dict[str, Component], *, now: datetime, owner: Contact
    ) -> None:
        opened = now - timedelta(minutes=40)
        incident = lifecycle.incident_open(
            actor=actor,
            name="Increased latency for file downloads",
            body=self._words(
                Phase.INVESTIGATING,
                title="Increased latency for file downloads",
                component_names=["File storage"],
                started_at=opened,
                next_update_at=cadence.first_due(
                    opened_at=opened, schedule=policy_schedule("minor")
                ),
            ),
            impact="minor",
            components={components["File storage"]: ComponentStatus.DEGRADED_PERFORMANCE},
            now=opened,
        )
        # Words for this occasion only: written by demo, approved by demo-legal.
        custom = approvals.custom_text_request(
            actor=self.demo,
            incident=incident,
            phase=Phase.IDENTIFIED,
            body="We have identified a misbehaving storage node and are moving traffic away "
            "from it. Downloads may be slower than usual. Next update within 60 minutes.",
            now=now - timedelta(minutes=14),
        )
        decisions.approval_give(
            actor=self.approvers[0], custom_text=custom, now=now - timedelta(minutes=13)
        )
        lifecycle.update_post(
            actor=actor,
            incident=incident,
            body=custom.body,
            status="identified",
            now=now - timedelta(minutes=12),
        )
        incident_owners_set(actor=actor, incident=incident, owners=[owner], now=now)

    def _maintenance(
        self, actor: Actor, components: dict[str, Component], *, now: datetime
    ) -> None:
        start = (now + timedelta(days=2)).replace(hour=2, minute=0, second=0)
        body = self._words(
            Phase.MAINTENANCE_SCHEDULED,
            title="Primary database upgrade",
            component_names=["Primary database"],
            window_start=start,
            window_end=start + timedelta(hours=2),
        )
        lifecycle.maintenance_schedule(
            actor=actor,
            name="Primary database upgrade",
            body=body,
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            components=[components["Primary database"]],
            now=now - timedelta(days=1),
        )
