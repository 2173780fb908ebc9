"""The cadence in the console: schedules, contacts, owners, drafts, reminders, compliance."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import lifecycle, tasks
from incidents.audit import Actor
from incidents.cadence.report import compliance_report
from incidents.models import AuditEvent, CadencePolicy, Contact, Incident, Reminder
from incidents.reminders.services import contact_save
from tests.factories import promised

SYSTEM = Actor.system("test")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0", "Must be at least 1 minute (got 0)."),
        ("-5", "Must be at least 1 minute (got -5)."),
        ("99999", "Must be at most 1440 minutes, one day (got 99999)."),
        ("soon", "Enter a whole number."),
    ],
)
def test_a_bad_interval_is_refused_beside_its_field(
    console: Client, value: str, reason: str
) -> None:
    response = console.post(
        reverse("console:cadence"),
        {
            "impact": "critical",
            "critical-first_minutes": "10",
            "critical-then_minutes": value,
            "critical-every_minutes": "60",
        },
    )
    assert response.status_code == 400
    assert reason in _text(response)
    assert "Nothing was saved." in _text(response)
    assert not CadencePolicy.objects.exists()


def test_an_impact_schedule_is_saved_and_audited(console: Client) -> None:
    page = console.get(reverse("console:cadence"))
    assert page.status_code == 200
    assert _text(page).count("(the default)") == 4
    response = console.post(
        reverse("console:cadence"),
        {
            "impact": "critical",
            "critical-first_minutes": "10",
            "critical-then_minutes": "30",
            "critical-every_minutes": "60",
        },
        follow=True,
    )
    assert "Cadence for critical incidents saved." in _text(response)
    policy = CadencePolicy.objects.get()
    assert (policy.impact, policy.first_minutes, policy.every_minutes) == ("critical", 10, 60)
    assert AuditEvent.objects.get(action="cadence.policy_set").actor_label == "rita"


def test_an_incident_override_with_a_bad_interval_shows_on_the_incident(
    console: Client,
) -> None:
    incident = lifecycle.incident_open(actor=SYSTEM, name="Slow", body=promised("Slow."))
    url = reverse("console:incident_cadence", args=[incident.public_id])
    response = console.post(
        url,
        {"cadence-first_minutes": "0", "cadence-then_minutes": "10", "cadence-every_minutes": "10"},
    )
    assert response.status_code == 400
    assert "Must be at least 1 minute (got 0)." in _text(response)
    due = incident.next_update_due
    incident.refresh_from_db()
    assert incident.next_update_due == due


def test_an_incident_override_and_owners_are_set_from_its_page(console: Client) -> None:
    olivia = contact_save(actor=SYSTEM, name="Olivia", email="olivia@example.com")
    incident = lifecycle.incident_open(actor=SYSTEM, name="Slow", body=promised("Slow."))
    console.post(
        reverse("console:incident_cadence", args=[incident.public_id]),
        {"cadence-first_minutes": "5", "cadence-then_minutes": "10", "cadence-every_minutes": "10"},
    )
    console.post(
        reverse("console:incident_owners", args=[incident.public_id]),
        {"owners": [olivia.public_id]},
    )
    incident.refresh_from_db()
    assert incident.next_update_due == incident.started_at + timedelta(minutes=5)
    assert list(incident.owners.all()) == [olivia]
    page = _text(console.get(reverse("console:incident_detail", args=[incident.public_id])))
    assert "this incident's own" in page
    assert f'value="{olivia.public_id}" checked' in page or "checked" in page
    assert "Nobody chosen" not in page
    assert "Olivia is reminded of each update due." in page
    cleared = console.post(
        reverse("console:incident_cadence", args=[incident.public_id]), {"clear": "1"}
    )
    assert cleared.status_code == 302
    incident.refresh_from_db()
    assert incident.cadence_first_minutes is None
    assert incident.next_update_due == incident.started_at + timedelta(minutes=15)


def test_a_contact_needs_a_reachable_address(console: Client) -> None:
    response = console.post(reverse("console:contacts"), {"name": "Nobody", "phone": "12345"})
    assert response.status_code == 400
    assert "Use the international format, e.g. +14155550100." in _text(response)
    assert not Contact.objects.exists()


def test_a_contact_whose_phone_replied_stop_is_shown_as_such(console: Client) -> None:
    olivia = contact_save(actor=SYSTEM, name="Olivia", phone="+14155550101")
    assert "replied STOP" not in _text(console.get(reverse("console:contacts")))
    Contact.objects.filter(pk=olivia.pk).update(sms_stopped_at=timezone.now())
    assert "replied STOP: no texts" in _text(console.get(reverse("console:contacts")))


def test_the_link_in_a_reminder_opens_the_update_form_with_its_draft(console: Client) -> None:
    contact_save(actor=SYSTEM, name="Oscar", email="oscar@example.com", on_call=True)
    with time_machine.travel(T0, tick=False) as clock:
        incident = lifecycle.incident_open(
            actor=SYSTEM, name="Checkout errors", body=promised("Looking.")
        )
        clock.move_to(T0 + timedelta(minutes=10))
        tasks.reminders_sweep()
        reminder = Reminder.objects.get(incident=incident, kind="update_due")
        url = reverse("console:incident_detail", args=[incident.public_id])
        page = _text(console.get(f"{url}?draft={reminder.public_id}"))
    assert reminder.draft in page
    assert "Next update by 13:10 UTC." in page
    plain = _text(console.get(url))
    assert reminder.draft not in plain


def test_reminders_are_listed_and_acknowledged_once(console: Client) -> None:
    contact_save(actor=SYSTEM, name="Oscar", email="oscar@example.com", on_call=True)
    incident = lifecycle.incident_open(
        actor=SYSTEM,
        name="Checkout errors",
        body=promised("Looking.", now=timezone.now() - timedelta(minutes=12)),
        now=timezone.now() - timedelta(minutes=12),
    )
    tasks.reminders_sweep()
    reminder = Reminder.objects.get(incident=incident)
    page = _text(console.get(reverse("console:reminders")))
    assert "Checkout errors" in page and "Acknowledge" in page and "Oscar" in page
    ack = reverse("console:reminder_ack", args=[reminder.public_id])
    done = console.post(ack, {"next": reverse("console:reminders")}, follow=True)
    assert "Reminder acknowledged." in _text(done)
    again = console.post(ack, follow=True)
    assert "Already acknowledged by rita" in _text(again)
    reminder.refresh_from_db()
    assert reminder.acknowledged_by == "rita"
    assert AuditEvent.objects.filter(action="reminder.acknowledged").count() == 1
    elsewhere = console.post(ack, {"next": "https://evil.example.com/"})
    assert elsewhere["Location"] == "/console/reminders/"


def _incident_with_history(n: int, now: datetime) -> Incident:
    opened = now - timedelta(days=n % 80, hours=5)
    incident = lifecycle.incident_open(
        actor=SYSTEM, name=f"Incident {n}", body=promised("x", now=opened), now=opened
    )
    # First update 20 minutes in (5 late), the second on time, then resolved.
    lifecycle.update_post(
        actor=SYSTEM, incident=incident,
        body=promised("y", now=opened + timedelta(minutes=20)),
        status="identified",
        now=opened + timedelta(minutes=20),
    )  # fmt: skip
    lifecycle.update_post(
        actor=SYSTEM, incident=incident,
        body=promised("z", now=opened + timedelta(minutes=60)),
        status="monitoring",
        now=opened + timedelta(minutes=60),
    )  # fmt: skip
    lifecycle.incident_resolve(
        actor=SYSTEM, incident=incident, body="done", now=opened + timedelta(minutes=90)
    )
    return incident


def test_compliance_over_90_days_takes_a_constant_number_of_queries(db: None) -> None:
    now = timezone.now()
    for n in range(3):
        _incident_with_history(n, now)
    with CaptureQueriesContext(connection) as few:
        small = compliance_report(now=now)
    for n in range(3, 30):
        _incident_with_history(n, now)
    with CaptureQueriesContext(connection) as many:
        large = compliance_report(now=now)
    assert len(few) == len(many) == 2
    assert len(small.incidents) == 3 and len(large.incidents) == 30
    # Each: 15 min due, posted at 20 (5 late); then due 80, posted at 60; resolve at 90,
    # due 180: on time. Two of three on time; late by 5 minutes.
    assert (large.overall.gaps, large.overall.on_time) == (90, 60)
    assert large.overall.median_lateness == timedelta(minutes=5)
    assert large.median_time_to_first_update == timedelta(minutes=20)


def test_the_compliance_page_shows_the_90_days_and_each_incident(console: Client) -> None:
    _incident_with_history(1, timezone.now())
    page = _text(console.get(reverse("console:compliance")))
    assert "67% (2 of 3)" in page
    assert "Incident 1" in page
    assert "5 min" in page and "20 min" in page


def test_the_dashboard_shows_when_each_update_is_due_and_which_are_overdue(
    console: Client,
) -> None:
    lifecycle.incident_open(
        actor=SYSTEM,
        name="Late one",
        body=promised("x", now=timezone.now() - timedelta(minutes=20)),
        now=timezone.now() - timedelta(minutes=20),
    )
    lifecycle.incident_open(actor=SYSTEM, name="Fresh one", body=promised("x"))
    page = _text(console.get(reverse("console:dashboard")))
    assert "Next update due" in page
    assert page.count("overdue") == 1
    late_row = page[page.index("Late one") : page.index("Late one") + 1500]
    assert "overdue" in late_row


def test_cancelled_reminders_are_hidden_from_the_tables(console: Client) -> None:
    contact_save(actor=SYSTEM, name="Oscar", email="oscar@example.com", on_call=True)
    incident = lifecycle.incident_open(
        actor=SYSTEM, name="Checkout errors", body=promised("Looking.")
    )
    lifecycle.update_post(actor=SYSTEM, incident=incident, body=promised("y"), status="identified")
    cancelled = Reminder.objects.filter(incident=incident, state="cancelled").count()
    assert cancelled > 0
    for url in (
        reverse("console:reminders"),
        reverse("console:incident_detail", args=[incident.public_id]),
    ):
        page = _text(console.get(url))
        assert "<td>Cancelled" not in page
        assert f"{cancelled} cancelled reminder" in page
        shown = _text(console.get(url + "?cancelled=1"))
        assert "<td>Cancelled" in shown
