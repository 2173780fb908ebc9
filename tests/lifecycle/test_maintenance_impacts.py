"""Expected impact per component: chosen in the console and the staff API, the
component's status while the window runs, shown on the page and in the v2 JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.models import Component, Maintenance, MaintenanceComponent
from incidents.public.cache import public_changed
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

ACTOR = Actor.system("test")
STAFF = "/api/staff/"


def _start(maintenance: Maintenance) -> None:
    words = lifecycle.maintenance_words(maintenance, phase=wording.Phase.MAINTENANCE_STARTED)
    assert words is not None
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=maintenance, body=words, status="in_progress"
    )
    public_changed()  # as the commit does: this test's transaction never commits


def _status(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


def test_each_component_shows_its_expected_impact_while_the_window_runs() -> None:
    db, cdn, api = (ComponentFactory(name=n) for n in ("Database", "CDN", "API"))
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Storage move", body="Upgrading.",
        scheduled_for=now + timedelta(minutes=1), scheduled_until=now + timedelta(hours=1),
        components={db: "partial_outage", cdn: "operational", api: "under_maintenance"},
    )  # fmt: skip
    assert (_status(db), _status(cdn), _status(api)) == ("operational",) * 3
    _start(maintenance)
    assert (_status(db), _status(cdn), _status(api)) == (
        "partial_outage", "operational", "under_maintenance",
    )  # fmt: skip

    summary = json.loads(Client().get("/api/v2/summary.json").content)
    [window] = summary["scheduled_maintenances"]
    assert window["impact"] == "maintenance"
    assert {c["name"]: c["status"] for c in window["components"]} == {
        "Database": "partial_outage", "CDN": "operational", "API": "under_maintenance",
    }  # fmt: skip
    page = Client().get(reverse("public:maintenance", args=[maintenance.public_id]))
    text = page.content.decode()
    assert "Database: partial outage" in text and "CDN: no visible impact" in text
    assert "Expected to end by" in text


def test_the_staff_api_takes_and_returns_impacts_and_notice_choices(
    staff_api: APIClient,
) -> None:
    db, web = ComponentFactory(name="Database"), ComponentFactory(name="Web")
    now = timezone.now()
    body = {
        "name": "Upgrade", "body": "Upgrading.",
        "scheduled_for": (now + timedelta(hours=2)).isoformat(),
        "scheduled_until": (now + timedelta(hours=3)).isoformat(),
        "components": [db.public_id, web.public_id],
        "impacts": {db.public_id: "degraded_performance"},
        "notify_prior_minutes": 60, "notify_end": False,
    }  # fmt: skip
    made = staff_api.post(STAFF + "maintenances/", body, format="json")
    assert made.status_code == 201, made.content
    out = made.json()
    assert {c["name"]: c["impact"] for c in out["components"]} == {
        "Database": "degraded_performance", "Web": "under_maintenance",
    }  # fmt: skip
    assert (out["notify_prior_minutes"], out["notify_start"], out["notify_end"]) == (
        60,
        True,
        False,
    )
    assert out["next_update_due"] is None and out["prior_notice_at"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"impacts": {"x": "major_outage"}}, "impacts"),
        ({"impacts": {"\u202e\x00" * 3: "partial_outage"}}, "impacts"),
        ({"notify_prior_minutes": 0}, "notify_prior_minutes"),
        ({"notify_prior_minutes": 10**12}, "notify_prior_minutes"),
        ({"notify_start": "perhaps"}, "notify_start"),
    ],
)
def test_bad_impacts_and_notice_choices_are_refused_per_field(
    staff_api: APIClient, change: dict[str, Any], field: str
) -> None:
    db = ComponentFactory(name="Database")
    now = timezone.now()
    body = {
        "name": "Upgrade", "body": "Upgrading.", "components": [db.public_id],
        "scheduled_for": (now + timedelta(hours=2)).isoformat(),
        "scheduled_until": (now + timedelta(hours=3)).isoformat(),
        **change,
    }  # fmt: skip
    answer = staff_api.post(STAFF + "maintenances/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    assert not Maintenance.objects.exists()


def test_major_outage_is_not_an_expected_impact_in_lifecycle_either() -> None:
    db = ComponentFactory(name="Database")
    now = timezone.now()
    with pytest.raises(Exception, match="not an expected impact"):
        lifecycle.maintenance_schedule(
            actor=ACTOR, name="Upgrade", body="Upgrading.", components={db: "major_outage"},
            scheduled_for=now + timedelta(hours=1), scheduled_until=now + timedelta(hours=2),
        )  # fmt: skip


def test_the_console_form_sets_an_impact_per_component(responder: User) -> None:
    db, web = ComponentFactory(name="Database"), ComponentFactory(name="Web")
    console = Client()
    console.force_login(responder)
    start = timezone.now() + timedelta(days=1)
    form = console.get(reverse("console:maintenance_new")).content.decode()
    assert f"Expected impact on {db.name}" in form
    answer = console.post(reverse("console:maintenance_new"), {
        "name": "Upgrade", "body": "Upgrading.",
        "scheduled_for": start.strftime("%Y-%m-%dT%H:%M"),
        "scheduled_until": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "components": [db.public_id, web.public_id],
        f"impact_{db.public_id}": "operational", f"impact_{web.public_id}": "partial_outage",
        "notify_prior_minutes": "30", "notify_start": "on",
    })  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()
    maintenance = Maintenance.objects.get()
    assert dict(MaintenanceComponent.objects.values_list("component__name", "impact")) == {
        "Database": "operational",
        "Web": "partial_outage",
    }
    assert (maintenance.notify_prior_minutes, maintenance.notify_start) == (30, True)
    assert maintenance.notify_end is False  # an unticked box
    detail = console.get(reverse("console:maintenance_detail", args=[maintenance.public_id]))
    assert "(expected: partial outage)" in detail.content.decode()


def test_uptime_reads_each_component_maintenance_as_it_ran() -> None:
    from datetime import UTC, datetime

    from incidents.selectors import component_uptime_both_ways

    t0 = datetime(2026, 11, 2, tzinfo=UTC)
    db = lifecycle.component_save(actor=ACTOR, name="Database", now=t0)
    maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Upgrade", body="Upgrading.", components={db: "partial_outage"},
        scheduled_for=t0 + timedelta(hours=4), scheduled_until=t0 + timedelta(hours=6),
        auto_start=False, auto_complete=False, now=t0,
    )  # fmt: skip
    for status, hours in (("in_progress", 4), ("completed", 6)):
        phase = wording.maintenance_phase(status)
        words = lifecycle.maintenance_words(maintenance, phase=phase)
        assert words is not None
        lifecycle.maintenance_update_post(
            actor=ACTOR, maintenance=maintenance, body=words, status=status,
            now=t0 + timedelta(hours=hours),
        )  # fmt: skip
    # 10 h: the window's 2 h at partial outage (30%): with = 1 - 0.6/10; without = 100%.
    got = component_uptime_both_ways(db, start=t0, end=t0 + timedelta(hours=10))
    assert got.with_maintenance == pytest.approx(0.94)
    assert got.without_maintenance == pytest.approx(1.0)
    assert got.maintenance_seconds == 7200
