"""Migrates the database DATABASE_URL names, one way or another, in a process of its
own (a clean migration loader each time), and prints what it holds as JSON:

    python -m tests.migrations.build chain [0040_dependencies]   # the replaced files
    python -m tests.migrations.build migrate                     # as `manage.py migrate`
    python -m tests.migrations.build fill | check | read

`chain` runs 0001-0055 one by one, as a database created before the squash did (to the
migration named, else to the end, then `migrate` as a deploy would). `fill` writes rows
through the models of whatever migration the database is at; `check` reads them back
through today's models after the upgrade.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402

from tests.migrations.schema import SQUASH, data_read, schema_read  # noqa: E402

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def chain(target: str | None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader = MigrationLoader(connection, replace_migrations=False)
    # Without replacements the squash is a node of its own, a second leaf: leave it out.
    leaves = [key for key in executor.loader.graph.leaf_nodes() if key != SQUASH]
    executor.migrate([("incidents", target) if app == "incidents" and target else (app, name)
                      for app, name in leaves])  # fmt: skip
    if target is None:
        migrate()


def migrate() -> None:
    call_command("migrate", verbosity=0, interactive=False)


def _apps() -> Any:
    """The models as of the last incidents migration this database ran."""
    loader = MigrationLoader(connection, replace_migrations=False)
    applied = [key for key in loader.applied_migrations if key[0] == "incidents"]
    return loader.project_state(max(applied)).apps


def fill() -> None:
    """Rows of the kinds later migrations reshape: a maintenance's components (0041
    makes the link table a model of its own), an SMS subscriber (0046 fills its prefix),
    an incident with an update, an audit event, a rule version an Admin saved."""
    apps = _apps()
    User = apps.get_model("auth", "User")
    Component = apps.get_model("incidents", "Component")
    Incident = apps.get_model("incidents", "Incident")
    IncidentUpdate = apps.get_model("incidents", "IncidentUpdate")
    Maintenance = apps.get_model("incidents", "Maintenance")
    Subscriber = apps.get_model("incidents", "Subscriber")
    AuditEvent = apps.get_model("incidents", "AuditEvent")
    WordingRule = apps.get_model("incidents", "WordingRule")
    user = User.objects.create(username="ops", email="ops@example.com", is_staff=True)
    api = Component.objects.create(name="API", public_id="cmpapi000001", position=1)
    web = Component.objects.create(name="Web", public_id="cmpweb000001", position=2)
    incident = Incident.objects.create(
        name="Slow API", public_id="incslow00001", status="identified", impact="minor",
        started_at=AT, created_at=AT, updated_at=AT,
    )  # fmt: skip
    IncidentUpdate.objects.create(
        incident=incident, status="identified", body="Slow.", body_html="<p>Slow.</p>",
        created_at=AT, display_at=AT,
    )  # fmt: skip
    maintenance = Maintenance.objects.create(
        name="Database upgrade", public_id="mntdb0000001",
        scheduled_for=AT + timedelta(days=3), scheduled_until=AT + timedelta(days=3, hours=1),
        created_at=AT, updated_at=AT,
    )  # fmt: skip
    maintenance.components.add(api, web)
    Subscriber.objects.create(
        public_id="subsms000001", channel="sms", destination="+447400123456",
        state="confirmed", created_at=AT, confirmed_at=AT,
    )  # fmt: skip
    AuditEvent.objects.create(
        at=AT, actor=user, actor_label="ops", channel="console", action="incident.opened",
        target_type="incident", target_id=incident.public_id, summary="Slow API",
        data={"impact": "minor"},
    )  # fmt: skip
    rule = WordingRule.objects.filter(key="length-web").order_by("-version").first()
    WordingRule.objects.create(
        key=rule.key, version=rule.version + 1, kind=rule.kind, pattern="", element="",
        limit=1500, channel=rule.channel, scope=rule.scope, reason="Shorter.", active=True,
        created_at=AT,
    )  # fmt: skip


def check() -> dict[str, Any]:
    from incidents.models import AuditEvent, Incident, Maintenance, Subscriber, WordingRule

    incident = Incident.objects.get(public_id="incslow00001")
    maintenance = Maintenance.objects.get(public_id="mntdb0000001")
    links = maintenance.components.through.objects.filter(maintenance=maintenance)
    return {
        "incident": [incident.name, incident.status, incident.started_at.isoformat()],
        "updates": list(incident.updates.values_list("body", flat=True)),
        "maintenance": sorted((link.component.name, link.impact) for link in links),
        "subscriber": list(Subscriber.objects.values_list("destination", "prefix")),
        "audit": list(AuditEvent.objects.values_list("action", "actor_label", "data")),
        "length_web": list(
            WordingRule.objects.filter(key="length-web")
            .order_by("-version")
            .values_list("limit", "reason")[:1]
        ),
    }


def read() -> dict[str, Any]:
    recorded = MigrationRecorder(connection).applied_migrations()
    return {
        "schema": schema_read(connection),
        "data": data_read(),
        "squash_recorded": SQUASH in recorded,
        "plan": [str(m) for m, _ in MigrationExecutor(connection).migration_plan(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )],
    }  # fmt: skip


def main(argv: list[str]) -> None:
    action, *rest = argv
    out: Any = None
    if action == "chain":
        chain(rest[0] if rest else None)
    elif action == "migrate":
        migrate()
    elif action == "fill":
        fill()
    elif action == "check":
        out = check()
    elif action == "read":
        out = read()
    else:
        raise SystemExit(f"unknown action {action!r}")
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
