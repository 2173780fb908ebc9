"""Incidents open when the cadence arrives get their promise and first reminder.

The default schedule (15, 60, then every 120 minutes) replayed over each open incident's
updates, as incidents/cadence.py computes it; no policy or override exists yet. Written
out here rather than imported, so this migration keeps meaning what it meant.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

FIRST, THEN, EVERY = 15, 60, 120


def promise_open_incidents(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    IncidentUpdate = apps.get_model("incidents", "IncidentUpdate")
    Reminder = apps.get_model("incidents", "Reminder")
    now = timezone.now()
    lead = timedelta(seconds=settings.CANDOR_REMINDER_LEAD_SECONDS)
    for incident in Incident.objects.exclude(status="resolved").filter(
        next_update_due__isnull=True
    ):
        times = list(
            IncidentUpdate.objects.filter(incident=incident)
            .order_by("created_at", "pk")
            .values_list("created_at", flat=True)
        )[1:]
        due = incident.started_at + timedelta(minutes=FIRST)
        for count, posted in enumerate(times, start=1):
            due = max(due, posted + timedelta(minutes=THEN if count == 1 else EVERY))
        incident.next_update_due = due
        incident.save(update_fields=["next_update_due"])
        Reminder.objects.create(
            incident=incident,
            kind="update_due",
            due_at=due,
            send_at=max(due - lead, now),
            created_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0010_cadence")]

    operations = [migrations.RunPython(promise_open_incidents, migrations.RunPython.noop)]
