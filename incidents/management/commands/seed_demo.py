"""Demo data for a first run: a page with history, an open incident and maintenance ahead.

Everything is written through lifecycle with past timestamps, so the status history, the
uptime bars and the audit log agree with each other exactly as they would in real use.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Component, Contact
from incidents.publish.trigger import publishing_deferred
from incidents.reminders.services import contact_save, incident_owners_set

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "candor-demo-password"  # noqa: S105 - printed for the newcomer on purpose

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

TIMELINE = [
    ("investigating", timedelta(0), "We are investigating reports of {what}."),
    (
        "identified",
        timedelta(minutes=18),
        "The cause has been identified and a fix is being deployed. Next update within 60 minutes.",
    ),
    (
        "monitoring",
        timedelta(minutes=47),
        "A fix has been deployed. We are monitoring the results.",
    ),
    (
        "resolved",
        timedelta(minutes=95),
        "This incident has been resolved. We are sorry for the disruption.",
    ),
]


class Command(BaseCommand):
    help = "Load demo data (groups, components, 90 days of history, incidents, maintenance)."

    def handle(self, *args: Any, **options: Any) -> None:
        self._demo_user()
        if Component.objects.exists():
            self.stdout.write("Demo data already present; left as it is.")
            return
        now = timezone.now().replace(microsecond=0)
        actor = Actor.system("demo")
        with publishing_deferred():  # one publish of the finished demo, not one per change
            components = self._components(actor, since=now - timedelta(days=92))
            self._past_incidents(actor, components, now=now)
            owner = self._contacts(actor)
            self._open_incident(actor, components, now=now, owner=owner)
            self._maintenance(actor, components, now=now)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _demo_user(self) -> None:
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()

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

    def _past_incidents(
        self, actor: Actor, components: dict[str, Component], *, now: datetime
    ) -> None:
        rng = random.Random(2026)  # the same demo every time
        starts = sorted(
            now - timedelta(days=rng.randint(3, 85), hours=rng.randint(0, 20))
            for _ in PAST_INCIDENTS
        )
        for start, (name, component, status, impact) in zip(starts, PAST_INCIDENTS, strict=True):
            incident = None
            for phase, offset, text in TIMELINE:
                body = text.format(what=name.lower())
                if incident is None:
                    incident = lifecycle.incident_open(
                        actor=actor,
                        name=name,
                        body=body,
                        impact=impact,
                        components={components[component]: status},
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
        incident = lifecycle.incident_open(
            actor=actor,
            name="Increased latency for file downloads",
            body="We are investigating increased latency for file downloads in one region.",
            impact="minor",
            components={components["File storage"]: "degraded_performance"},
            now=now - timedelta(minutes=40),
        )
        lifecycle.update_post(
            actor=actor,
            incident=incident,
            body="We have identified a misbehaving storage node and are moving traffic away "
            "from it. Downloads may be slower than usual. Next update in 60 minutes.",
            status="identified",
            now=now - timedelta(minutes=12),
        )
        incident_owners_set(actor=actor, incident=incident, owners=[owner], now=now)

    def _maintenance(
        self, actor: Actor, components: dict[str, Component], *, now: datetime
    ) -> None:
        start = (now + timedelta(days=2)).replace(hour=2, minute=0, second=0)
        lifecycle.maintenance_schedule(
            actor=actor,
            name="Primary database upgrade",
            body="We will upgrade the primary database to a new major version. Writes may "
            "pause for up to two minutes during the switch-over.",
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
            components=[components["Primary database"]],
            now=now - timedelta(days=1),
        )
