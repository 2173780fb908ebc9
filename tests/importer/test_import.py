"""Importing a Statuspage page from a real HTTP peer that plays its management API v1."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from incidents import lifecycle, selectors
from incidents.audit import Actor
from incidents.importer import run
from incidents.models import (
    AuditEvent,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Delivery,
    ImportRun,
    Incident,
    IncidentUpdate,
    Maintenance,
    Postmortem,
    Reminder,
    Subscriber,
    SubscriberState,
)
from tests.importer.peer import API_KEY, PAGE_ID, StatuspagePeer, hostile, realistic_page

pytestmark = pytest.mark.django_db
IMPORTABLE_MODES = ("email", "sms", "webhook")


def _command(peer: StatuspagePeer, **options: str) -> str:
    out = StringIO()
    call_command(
        "import_statuspage", page_id=options.get("page_id", PAGE_ID),
        api_key=options.get("api_key", API_KEY), base_url=peer.base_url, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def _start(peer: StatuspagePeer, *, key: str = API_KEY, page_id: str = PAGE_ID) -> ImportRun:
    return run.import_start(
        actor=Actor.system("test"), page_id=page_id, api_key=key, base_url=peer.base_url
    )


def _expected_subscribers(peer: StatuspagePeer) -> int:
    return sum(
        1
        for row, state in peer.page.subscribers
        if state == "active" and row["mode"] in IMPORTABLE_MODES and row["id"] != "badmailxxxxx"
    )


def test_a_realistic_page_imports_whole_and_a_second_run_adds_nothing(
    importing: None, client: Client
) -> None:
    now = timezone.now()
    page = realistic_page(now=now, incidents=300, subscribers=2500)
    expected_bad = hostile(page, now=now)
    peer = StatuspagePeer(page).start()
    try:
        out = _command(peer)
        first = {
            "groups": ComponentGroup.objects.count(),
            "components": Component.objects.count(),
            "incidents": Incident.objects.count(),
            "updates": IncidentUpdate.objects.count(),
            "maintenance": Maintenance.objects.count(),
            "subscribers": Subscriber.objects.count(),
            "postmortems": Postmortem.objects.count(),
            "history": ComponentStatusChange.objects.count(),
        }
        _command(peer)  # again: everything is there already
        again = {
            "groups": ComponentGroup.objects.count(),
            "components": Component.objects.count(),
            "incidents": Incident.objects.count(),
            "updates": IncidentUpdate.objects.count(),
            "maintenance": Maintenance.objects.count(),
            "subscribers": Subscriber.objects.count(),
            "postmortems": Postmortem.objects.count(),
            "history": ComponentStatusChange.objects.count(),
        }
    finally:
        peer.stop()

    incidents = [i for i in page.incidents if i["impact"] != "maintenance"]
    assert first == again
    assert first["groups"] == 3
    assert first["components"] == 11
    # Every incident but the three that cannot be mapped (bad and future timestamps, a 1 MB
    # body), with every update.
    assert first["incidents"] == len(incidents) - 3
    assert first["updates"] == sum(len(i["incident_updates"]) for i in incidents) - 3
    assert first["maintenance"] == len(page.incidents) - len(incidents)
    assert first["subscribers"] == _expected_subscribers(peer) > 2000
    assert first["postmortems"] == sum(1 for i in incidents if i["postmortem_published_at"])
    assert Subscriber.objects.exclude(state=SubscriberState.CONFIRMED).count() == 0

    # History: flagged, audited, never sent, never promised.
    assert not Incident.objects.filter(imported=False).exists()
    assert not Incident.objects.filter(next_update_due__isnull=False).exists()
    assert not Delivery.objects.exists() and not Reminder.objects.exists()
    assert set(IncidentUpdate.objects.values_list("notify", flat=True)) == {"none"}
    assert AuditEvent.objects.filter(action="incident.imported").count() == first["incidents"]

    # The report names what could not be mapped, and why.
    runs = list(ImportRun.objects.order_by("pk"))
    assert [r.state for r in runs] == ["done", "done"] and not runs[0].api_key
    problems = {p["id"]: p["reason"] for p in runs[0].problems}
    for source, what in expected_bad.items():
        assert source in problems, source
        if what == "cleaned":
            assert "replaced" in problems[source] or "shortened" in problems[source]
    assert "no update could be imported" in problems["hugebodyxxxx"]
    assert "body has 1000000 characters" in problems["hugebodyxxxx/hugebodyxxxxu"]
    assert "not a timestamp" in problems["badtimexxxxx"]
    assert "out of range" in problems["futurexxxxxx"]
    assert "teams" in problems["teamsxxxxxxx"]
    assert runs[1].counts["incident"]["already"] == first["incidents"] + first["maintenance"]
    assert "incident: " in out and "Not mapped" in out

    # The imported page renders with its history: pages, the v2 JSON, the uptime bars.
    cleaned = Incident.objects.get(name__startswith="Outage")
    assert "\x00" not in cleaned.name and "\u202e" not in cleaned.name
    assert len(Incident.objects.get(name__startswith="NNN").name) == 200
    half = IncidentUpdate.objects.get(body__startswith="Half a pair")
    assert half.body == "Half a pair: \ufffd \ufffd end."
    assert client.get("/").status_code == 200
    for shown in (cleaned, half.incident):
        assert client.get(f"/incidents/{shown.public_id}").status_code == 200
    newest = Incident.objects.exclude(pk=cleaned.pk).order_by("-started_at").first()
    assert newest is not None
    detail = client.get(f"/incidents/{newest.public_id}").content.decode()
    for body in newest.updates.values_list("body", flat=True):
        assert body.split(" — ")[0] in detail
    history = client.get("/history").content.decode()
    assert newest.name in history
    listed = client.get("/api/v2/incidents.json").json()["incidents"]
    assert newest.public_id in {i["id"] for i in listed}
    assert len(next(i for i in listed if i["id"] == newest.public_id)["incident_updates"]) == (
        newest.updates.count()
    )
    # Published postmortems come over as Candor postmortems: on the page and in the JSON.
    ids = {i["id"] for i in listed}  # the latest incidents, as Statuspage's list has it
    postmortem = next(
        p for p in Postmortem.objects.select_related("incident") if p.incident.public_id in ids
    )
    shown = client.get(f"/incidents/{postmortem.incident.public_id}").content.decode()
    assert 'id="postmortem"' in shown and "A bad deploy." in shown
    entry = next(i for i in listed if i["id"] == postmortem.incident.public_id)
    assert entry["status"] == "postmortem" and "A bad deploy." in entry["postmortem_body"]
    status = selectors.public_status(now=timezone.now(), uptime_days=90)
    figures = [c.uptime for c in status.components if c.uptime is not None]
    assert figures and min(figures) < 1.0  # imported outages count
    recent_outage = Incident.objects.filter(
        started_at__gte=timezone.now() - timezone.timedelta(days=80), impact="critical"
    ).first()
    assert recent_outage is not None  # the seed makes one
    component = recent_outage.components.first()
    assert component is not None
    view = next(c for c in status.components if c.public_id == component.public_id)
    assert view.uptime is not None and view.uptime < 1.0


def test_an_open_incident_and_upcoming_window_come_over_as_they_stand(
    small_peer: StatuspagePeer, client: Client
) -> None:
    _command(small_peer)

    still_open = Incident.objects.get(name="Errors on the API (still open)")
    assert still_open.status == "identified" and still_open.identified_at is not None
    assert still_open.next_update_due is None and not Reminder.objects.exists()
    component = still_open.components.get()
    assert (component.status, component.manual_status) == ("partial_outage", "operational")
    assert "Errors on the API" in client.get("/").content.decode()
    upcoming = Maintenance.objects.get(name="Moving the API (upcoming)")
    assert upcoming.status == "scheduled" and upcoming.scheduled_for > timezone.now()
    assert not (upcoming.notify_start or upcoming.notify_end or upcoming.notify_prior_minutes)

    # Resolved in Candor (approved words, as any update): the component comes back.
    lifecycle.incident_resolve(actor=Actor.system("test"), incident=still_open, body="Fixed.")
    component.refresh_from_db()
    assert component.status == "operational"
    _command(small_peer)  # a later run does not reopen it
    still_open.refresh_from_db()
    assert still_open.status == "resolved"


def test_subscribers_keep_their_component_choices(small_peer: StatuspagePeer) -> None:
    _command(small_peer)
    names = {c["id"]: c["name"] for c in small_peer.page.components}
    picky = [
        row for row, state in small_peer.page.subscribers
        if state == "active" and row["mode"] == "email" and len(row["components"]) == 2
    ]  # fmt: skip
    assert picky
    for row in picky:
        subscriber = Subscriber.objects.get(destination=row["email"])
        assert not subscriber.all_components
        assert {c.name for c in subscriber.components.all()} == {
            names[c] for c in row["components"]
        }
    everything = next(
        row for row, state in small_peer.page.subscribers
        if state == "active" and row["mode"] == "email" and len(row["components"]) > 2
    )  # fmt: skip
    assert Subscriber.objects.get(destination=everything["email"]).all_components
    run_counts = ImportRun.objects.get().counts["subscriber"]
    never_confirmed = sum(1 for _, state in small_peer.page.subscribers if state == "unconfirmed")
    assert run_counts["unconfirmed_not_imported"] == never_confirmed > 0
    unconfirmed = next(row for row, state in small_peer.page.subscribers if state != "active")
    assert not Subscriber.objects.filter(destination=unconfirmed["email"] or "-").exists()


def test_a_second_run_leaves_what_staff_did_since(small_peer: StatuspagePeer) -> None:
    _command(small_peer)
    component = Component.objects.get(name="Search")
    lifecycle.component_status_set(
        actor=Actor.system("test"), component=component, status="degraded_performance"
    )
    before = list(component.history.values_list("at", "status"))

    _command(small_peer)

    component.refresh_from_db()
    assert component.status == "degraded_performance"
    assert list(component.history.values_list("at", "status")) == before


def test_the_component_history_follows_the_updates_timestamps(small_peer: StatuspagePeer) -> None:
    _command(small_peer)
    source = next(i for i in small_peer.page.incidents if i["impact"] == "critical")
    incident = Incident.objects.get(name=source["name"], started_at=source["started_at"])
    component = incident.components.first()
    assert component is not None
    changes = list(
        ComponentStatusChange.objects.filter(
            component=component, at__gte=incident.started_at, at__lte=incident.resolved_at
        ).values_list("at", "status")
    )
    assert (incident.started_at, "major_outage") in changes
    assert changes[-1] == (incident.resolved_at, "operational") or any(
        s != "operational" for _, s in changes
    )


@pytest.mark.embedded
def test_a_failure_midway_resumes_where_it_stopped(
    small_peer: StatuspagePeer, settings: Any
) -> None:
    settings.CANDOR_IMPORT_RETRIES = 2
    small_peer.broken[("incidents", 2)] = 503
    waits: list[float] = []

    failed = run.import_run(_start(small_peer).public_id, sleep=waits.append)

    assert failed.state == "failed" and "HTTP 503 after 3 attempts" in failed.error
    assert failed.checkpoint == {"stage": "incidents", "page": 2}
    assert not failed.api_key
    assert Incident.objects.count() + Maintenance.objects.count() == 100
    assert waits == [1.0, 2.0]  # bounded backoff, and nobody slept for real

    del small_peer.broken[("incidents", 2)]
    small_peer.requests.clear()
    resumed = _start(small_peer)
    assert resumed.pk == failed.pk
    done = run.import_run(resumed.public_id, sleep=waits.append)

    assert done.state == "done"
    assert Incident.objects.count() + Maintenance.objects.count() == len(small_peer.page.incidents)
    fetched = [p for p in small_peer.requests if "/incidents?" in p]
    assert fetched and all("page=1&" not in p for p in fetched)  # page 1 was not read again
    assert not any("component" in p for p in small_peer.requests)


@pytest.mark.embedded
@pytest.mark.parametrize("status", [429, 420])
def test_a_rate_limited_peer_is_waited_for(
    small_peer: StatuspagePeer, settings: Any, status: int
) -> None:
    settings.CANDOR_IMPORT_MAX_WAIT = 5
    small_peer.rate_limit_every = 3
    small_peer.rate_limit_status = status
    small_peer.retry_after = "7"
    waits: list[float] = []

    done = run.import_run(_start(small_peer).public_id, sleep=waits.append)

    assert done.state == "done", done.error
    assert waits and set(waits) == {5.0}  # Retry-After, capped by CANDOR_IMPORT_MAX_WAIT
    assert Incident.objects.count() + Maintenance.objects.count() == len(small_peer.page.incidents)


def test_a_peer_that_stays_rate_limited_fails_resumably(
    small_peer: StatuspagePeer, settings: Any
) -> None:
    settings.CANDOR_IMPORT_RETRIES = 3
    small_peer.rate_limit_every = 1
    waits: list[float] = []
    failed = run.import_run(_start(small_peer).public_id, sleep=waits.append)
    assert failed.state == "failed" and "rate limited after 4 attempts" in failed.error
    assert len(waits) == 3


def test_a_wrong_key_or_page_is_reported_not_retried(small_peer: StatuspagePeer) -> None:
    with pytest.raises(CommandError, match="401"):
        _command(small_peer, api_key="wrong")
    with pytest.raises(CommandError, match="404"):
        _command(small_peer, page_id="nosuchpage00")
    assert len(small_peer.requests) == 2
    assert not Component.objects.exists()


def test_the_source_must_be_public_unless_allowed(
    small_peer: StatuspagePeer, settings: Any
) -> None:
    settings.CANDOR_IMPORT_ALLOW_PRIVATE = False
    failed = run.import_run(_start(small_peer).public_id)
    assert failed.state == "failed" and "not globally routable" in failed.error
    assert small_peer.requests == []


def test_a_source_that_repeats_a_page_is_not_read_forever(small_peer: StatuspagePeer) -> None:
    small_peer.page.incidents = small_peer.page.incidents[:100]
    small_peer.ignore_paging = True
    failed = run.import_run(_start(small_peer).public_id)
    assert failed.state == "failed" and "page 2 repeats the page before it" in failed.error


def test_an_import_of_the_same_page_cannot_start_twice(small_peer: StatuspagePeer) -> None:
    _start(small_peer)
    with pytest.raises(run.ImportBusy):
        _start(small_peer)
