"""The public Statuspage v2 API: shapes a Statuspage client relies on, and its caching."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone as django_timezone

from incidents import lifecycle
from incidents.api.statuspage import timestamp
from incidents.audit import Actor
from incidents.models import Component, ComponentGroup, Maintenance
from incidents.public.cache_control import public_header
from tests.factories import promised, said

pytestmark = pytest.mark.django_db

V2 = "/api/v2/"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

# -- a tiny schema language: each field maps to a predicate on its JSON value --------------

Check = Callable[[Any], bool]


def string(value: Any) -> bool:
    return isinstance(value, str)


def integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def boolean(value: Any) -> bool:
    return isinstance(value, bool)


def is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and bool(TIMESTAMP.match(value))


def is_date(value: Any) -> bool:
    return isinstance(value, str) and bool(DATE.match(value))


def is_object(value: Any) -> bool:
    return isinstance(value, dict)


def nullable(check: Check) -> Check:
    return lambda value: value is None or check(value)


def one_of(*allowed: Any) -> Check:
    return lambda value: value in allowed


def list_of(check: Check) -> Check:
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


def constant(expected: Any) -> Check:
    return lambda value: value == expected and type(value) is type(expected)


COMPONENT_STATUSES = (
    "operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage",
)  # fmt: skip
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")

PAGE = {
    "id": string, "name": string, "url": string, "time_zone": constant("Etc/UTC"),
    "updated_at": is_timestamp,
}  # fmt: skip
STATUS = {
    "indicator": one_of("none", "minor", "major", "critical"),
    "description": string,
}
COMPONENT = {
    "id": string, "name": string, "status": one_of(*COMPONENT_STATUSES),
    "created_at": is_timestamp, "updated_at": is_timestamp, "position": integer,
    "description": nullable(string), "showcase": boolean, "start_date": nullable(is_date),
    "group_id": nullable(string), "page_id": string, "group": constant(False),
    "only_show_if_degraded": boolean,
}  # fmt: skip
GROUP = COMPONENT | {"group": constant(True), "components": list_of(string)}
AFFECTED = {
    "code": string, "name": string, "old_status": one_of(*COMPONENT_STATUSES),
    "new_status": one_of(*COMPONENT_STATUSES),
}  # fmt: skip


def update_schema(statuses: tuple[str, ...]) -> dict[str, Check]:
    return {
        "id": string, "status": one_of(*statuses), "body": string, "incident_id": string,
        "created_at": is_timestamp, "updated_at": is_timestamp, "display_at": is_timestamp,
        "affected_components": nullable(lambda v: isinstance(v, list) and len(v) > 0),
        "deliver_notifications": constant(True), "custom_tweet": constant(None),
        "tweet_id": constant(None),
    }  # fmt: skip


INCIDENT = {
    "id": string, "name": string, "status": one_of(*INCIDENT_STATUSES),
    "created_at": is_timestamp, "updated_at": is_timestamp,
    "monitoring_at": nullable(is_timestamp), "resolved_at": nullable(is_timestamp),
    "impact": one_of("none", "minor", "major", "critical"), "shortlink": string,
    "started_at": is_timestamp, "page_id": string, "incident_updates": list_of(is_object),
    "components": list_of(is_object),
}  # fmt: skip
# Candor's one addition to Statuspage's incident: the promised next update (docs/api.md);
# and Statuspage's postmortem fields, null until a postmortem is published.
INCIDENT_WITH_PROMISE = INCIDENT | {
    "next_update_at": nullable(is_timestamp),
    "postmortem_body": nullable(string),
    "postmortem_published_at": nullable(is_timestamp),
    "postmortem_body_last_updated_at": nullable(is_timestamp),
}
MAINTENANCE = INCIDENT | {
    "status": one_of(*MAINTENANCE_STATUSES),
    "impact": constant("maintenance"),
    "monitoring_at": constant(None),
    "scheduled_for": is_timestamp,
    "scheduled_until": is_timestamp,
}

TOP_LEVEL = {
    "summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "status.json": {"page", "status"},
    "components.json": {"page", "components"},
    "incidents.json": {"page", "incidents"},
    "incidents/unresolved.json": {"page", "incidents"},
    "scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


def check(obj: dict[str, Any], schema: dict[str, Check], where: str) -> None:
    assert set(obj) == set(schema), f"{where}: fields differ: {set(obj) ^ set(schema)}"
    for field, predicate in schema.items():
        assert predicate(obj[field]), f"{where}.{field} = {obj[field]!r}"


def check_component_list(components: list[dict[str, Any]], where: str) -> None:
    for c in components:
        check(c, GROUP if c["group"] else COMPONENT, f"{where}[{c['name']}]")


def check_timeline(
    item: dict[str, Any], schema: dict[str, Check], statuses: tuple[str, ...]
) -> None:
    check(item, schema, item["name"])
    for update in item["incident_updates"]:
        check(update, update_schema(statuses), f"{item['name']}.incident_updates")
        assert update["incident_id"] == item["id"]
        for affected in update["affected_components"] or []:
            check(affected, AFFECTED, f"{item['name']}.affected_components")
    for component in item["components"]:
        check(component, COMPONENT, f"{item['name']}.components")


# Candor's one addition at the top level, which Statuspage clients ignore.
EXTRA = {"generated_at"}


def check_document(path: str, doc: dict[str, Any]) -> None:
    assert set(doc) == TOP_LEVEL[path] | EXTRA
    assert is_timestamp(doc["generated_at"])
    check(doc["page"], PAGE, "page")
    if "status" in doc:
        check(doc["status"], STATUS, "status")
    check_component_list(doc.get("components", []), "components")
    for incident in doc.get("incidents", []):
        check_timeline(incident, INCIDENT_WITH_PROMISE, INCIDENT_STATUSES)
    for maintenance in doc.get("scheduled_maintenances", []):
        check_timeline(maintenance, MAINTENANCE, MAINTENANCE_STATUSES)


# -- a page with a bit of everything -------------------------------------------------------


def get_json(client: Client, path: str) -> dict[str, Any]:
    response = client.get(V2 + path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


@pytest.fixture
def page(actor: Actor) -> dict[str, Any]:
    """Core (API, Website) and a lone Docs; one open and one resolved incident; a window
    in progress and one upcoming."""
    core = lifecycle.group_create(actor=actor, name="Core", position=0)
    api = lifecycle.component_save(actor=actor, name="API", group=core, position=0,
                                   description="The REST API")  # fmt: skip
    web = lifecycle.component_save(actor=actor, name="Website", group=core, position=1)
    docs = lifecycle.component_save(actor=actor, name="Docs", position=5)
    outage = lifecycle.incident_open(
        actor=actor, name="API errors", body=promised("Investigating **errors**."), impact="major",
        components={api: "partial_outage"},
    )  # fmt: skip
    lifecycle.update_post(
        actor=actor, incident=outage, body=promised("Cause found."), status="identified"
    )
    old = lifecycle.incident_open(
        actor=actor, name="Slow docs", body=promised("Slow."), impact="minor",
        components={docs: "degraded_performance"},
    )  # fmt: skip
    lifecycle.update_post(
        actor=actor, incident=old, body=promised("Watching."), status="monitoring"
    )
    lifecycle.incident_resolve(actor=actor, incident=old, body="Fast again.")
    now = django_timezone.now()
    running = lifecycle.maintenance_schedule(
        actor=actor, name="DB upgrade", body="Upgrading.", components=[web],
        scheduled_for=now - timedelta(minutes=5), scheduled_until=now + timedelta(hours=1),
    )  # fmt: skip
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=running, body="Started.", status="in_progress"
    )
    upcoming = lifecycle.maintenance_schedule(
        actor=actor, name="Network work", body="Planned.", components=[],
        scheduled_for=now + timedelta(days=1), scheduled_until=now + timedelta(days=1, hours=2),
    )  # fmt: skip
    return {"core": core, "api": api, "web": web, "docs": docs, "outage": outage, "old": old,
            "running": running, "upcoming": upcoming}  # fmt: skip


@pytest.mark.parametrize("path", list(TOP_LEVEL))
def test_every_document_has_every_statuspage_field_with_the_right_type(
    client: Client, page: dict[str, Any], path: str
) -> None:
    check_document(path, get_json(client, path))


def test_summary_lists_groups_as_components_followed_by_their_children(
    client: Client, page: dict[str, Any]
) -> None:
    doc = get_json(client, "summary.json")
    names = [(c["name"], c["group"]) for c in doc["components"]]
    assert names == [("Core", True), ("API", False), ("Website", False), ("Docs", False)]
    core = doc["components"][0]
    assert core["components"] == [page["api"].public_id, page["web"].public_id]
    assert core["status"] == "partial_outage"  # the worst of its children
    api = doc["components"][1]
    assert api["group_id"] == page["core"].public_id
    assert api["description"] == "The REST API"
    assert api["status"] == "partial_outage"
    assert doc["components"][3]["description"] is None  # empty -> null, as Statuspage
    assert doc["components"][2]["status"] == "under_maintenance"


def test_summary_carries_open_incidents_and_upcoming_and_active_maintenance(
    client: Client, page: dict[str, Any]
) -> None:
    doc = get_json(client, "summary.json")
    assert [i["id"] for i in doc["incidents"]] == [page["outage"].public_id]
    assert {m["id"]: m["status"] for m in doc["scheduled_maintenances"]} == {
        page["running"].public_id: "in_progress",
        page["upcoming"].public_id: "scheduled",
    }
    assert doc["status"] == {"indicator": "major", "description": "Partial System Outage"}


def test_incident_fields_say_what_candor_knows(
    client: Client, page: dict[str, Any], settings: Any
) -> None:
    doc = get_json(client, "incidents.json")
    outage = next(i for i in doc["incidents"] if i["name"] == "API errors")
    assert outage["impact"] == "major"
    assert outage["status"] == "identified"
    assert outage["shortlink"] == f"{settings.CANDOR_CANONICAL_URL}/incidents/{outage['id']}"
    assert outage["page_id"] == settings.CANDOR_PAGE_ID
    assert outage["resolved_at"] is None
    assert [u["status"] for u in outage["incident_updates"]] == ["identified", "investigating"]
    first = outage["incident_updates"][-1]
    assert said(first["body"]) == "Investigating errors."
    assert first["affected_components"] == [{
        "code": page["api"].public_id, "name": "API",
        "old_status": "operational", "new_status": "partial_outage",
    }]  # fmt: skip
    assert outage["incident_updates"][0]["affected_components"] is None  # named none
    assert [c["name"] for c in outage["components"]] == ["API"]

    old = next(i for i in doc["incidents"] if i["name"] == "Slow docs")
    assert old["status"] == "resolved"
    assert old["resolved_at"] is not None and old["monitoring_at"] is not None


def test_unresolved_and_maintenance_lists_filter_by_status(
    client: Client, page: dict[str, Any]
) -> None:
    assert [i["name"] for i in get_json(client, "incidents/unresolved.json")["incidents"]] == [
        "API errors"
    ]
    upcoming = get_json(client, "scheduled-maintenances/upcoming.json")
    assert [m["name"] for m in upcoming["scheduled_maintenances"]] == ["Network work"]
    active = get_json(client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [m["name"] for m in active] == ["DB upgrade"]
    running, window = active[0], Maintenance.objects.get(pk=page["running"].pk)
    assert running["started_at"] == timestamp(window.started_at)
    assert running["scheduled_for"] == timestamp(window.scheduled_for)
    assert running["resolved_at"] is None
    everything = get_json(client, "scheduled-maintenances.json")["scheduled_maintenances"]
    assert {m["name"] for m in everything} == {"DB upgrade", "Network work"}


def test_a_maintenance_not_started_reports_its_window_start_as_started_at(
    client: Client, page: dict[str, Any]
) -> None:
    upcoming = get_json(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert upcoming[0]["started_at"] == upcoming[0]["scheduled_for"]
    assert upcoming[0]["incident_updates"][0]["affected_components"] is None


def test_a_completed_maintenance_reports_completion_as_resolved_at(
    client: Client, page: dict[str, Any], actor: Actor
) -> None:
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=page["running"], body="Done.", status="completed"
    )
    done = Maintenance.objects.get(pk=page["running"].pk)
    doc = get_json(client, "scheduled-maintenances.json")
    item = next(m for m in doc["scheduled_maintenances"] if m["id"] == done.public_id)
    assert item["status"] == "completed"
    assert item["resolved_at"] == timestamp(done.completed_at)
    assert get_json(client, "scheduled-maintenances/active.json")["scheduled_maintenances"] == []


def test_page_object_comes_from_settings(client: Client, settings: Any) -> None:
    settings.CANDOR_PAGE_ID = "abc123def456"
    settings.CANDOR_PAGE_NAME = "Example Status"
    settings.CANDOR_CANONICAL_URL = "https://status.example.com"
    doc = get_json(client, "status.json")
    assert {k: doc["page"][k] for k in ("id", "name", "url", "time_zone")} == {
        "id": "abc123def456", "name": "Example Status", "url": "https://status.example.com",
        "time_zone": "Etc/UTC",
    }  # fmt: skip


def test_timestamps_are_utc_with_milliseconds_like_statuspage() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2026, 11, 23, 18, 41, 55, 123456, tzinfo=plus_two)
    assert timestamp(moment) == "2026-11-23T16:41:55.123Z"
    assert timestamp(None) is None


# -- status.indicator ----------------------------------------------------------------------


def indicator(client: Client) -> dict[str, str]:
    return get_json(client, "status.json")["status"]


def test_indicator_is_none_when_everything_is_operational(client: Client, actor: Actor) -> None:
    lifecycle.component_save(actor=actor, name="API")
    assert indicator(client) == {"indicator": "none", "description": "All Systems Operational"}


@pytest.mark.parametrize(
    ("component_status", "expected"),
    [
        ("degraded_performance", {"indicator": "minor", "description": "Minor Service Outage"}),
        ("partial_outage", {"indicator": "major", "description": "Partial System Outage"}),
        ("major_outage", {"indicator": "critical", "description": "Major Service Outage"}),
    ],
)
def test_indicator_follows_the_worst_component(
    client: Client, actor: Actor, component_status: str, expected: dict[str, str]
) -> None:
    api = lifecycle.component_save(actor=actor, name="API")
    lifecycle.component_save(actor=actor, name="Web")
    lifecycle.component_status_set(actor=actor, component=api, status=component_status)
    assert indicator(client) == expected


def test_indicator_follows_an_open_incidents_impact_even_without_components(
    client: Client, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    lifecycle.component_save(actor=actor, name="API")
    incident = lifecycle.incident_open(
        actor=actor, name="Logins fail", body=promised("x"), impact="critical"
    )
    assert indicator(client)["indicator"] == "critical"
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_resolve(actor=actor, incident=incident, body="Fixed.")
    assert indicator(client)["indicator"] == "none"


def test_indicator_says_maintenance_when_only_maintenance_is_running(
    client: Client, actor: Actor
) -> None:
    web = lifecycle.component_save(actor=actor, name="Web")
    now = django_timezone.now()
    window = lifecycle.maintenance_schedule(
        actor=actor, name="Upgrade", body="x", components=[web],
        scheduled_for=now, scheduled_until=now + timedelta(hours=1),
    )  # fmt: skip
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=window, body="Go.", status="in_progress"
    )
    assert indicator(client) == {"indicator": "none", "description": "Service Under Maintenance"}


# -- caching, HTTP and CORS ------------------------------------------------------------------


def test_responses_allow_any_origin_and_are_cacheable(
    client: Client, page: dict[str, Any], settings: Any
) -> None:
    response = client.get(V2 + "summary.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == public_header()
    assert response["ETag"].startswith('"')


def test_a_matching_etag_answers_304_without_a_body(client: Client, page: dict[str, Any]) -> None:
    etag = client.get(V2 + "summary.json")["ETag"]
    response = client.get(V2 + "summary.json", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", list(TOP_LEVEL))
def test_a_cache_hit_costs_no_database_query(
    client: Client, page: dict[str, Any], path: str, django_assert_num_queries: Any
) -> None:
    first = client.get(V2 + path)
    with django_assert_num_queries(0):
        second = client.get(V2 + path)
    assert second.status_code == 200
    assert second.content == first.content


def test_a_lifecycle_change_reaches_the_api_at_once(
    client: Client, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        api = lifecycle.component_save(actor=actor, name="API")
    before = client.get(V2 + "summary.json")
    assert json.loads(before.content)["incidents"] == []

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor, name="API down", body=promised("Down."), impact="critical",
            components={api: "major_outage"},
        )  # fmt: skip
    after = client.get(V2 + "summary.json", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    doc = json.loads(after.content)
    assert [i["name"] for i in doc["incidents"]] == ["API down"]
    assert doc["components"][0]["status"] == "major_outage"
    assert doc["status"]["indicator"] == "critical"


def test_head_is_answered_like_get(client: Client, page: dict[str, Any]) -> None:
    response = client.head(V2 + "status.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight_is_answered(client: Client) -> None:
    response = client.options(
        V2 + "summary.json",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "if-none-match"},
    )  # fmt: skip
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "if-none-match"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_writes_are_refused_with_405(client: Client, method: str) -> None:
    response = getattr(client, method)(
        V2 + "incidents.json", data="{}", content_type="application/json"
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "read-only" in response.json()["detail"]


# -- hostile Markdown ----------------------------------------------------------------------

HOSTILE = (
    "Hello <script>alert('x')</script> world\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    "[click me](javascript:alert(2))\n\n"
    '<iframe src="/evil-frame"></iframe>\n\n'
    "`<script>in code</script>` & **bold**"
)


def test_hostile_markdown_never_reaches_the_api_live(
    client: Client, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = lifecycle.incident_open(actor=actor, name="Oops", body=promised(HOSTILE))
        lifecycle.update_post(
            actor=actor, incident=incident, body=promised(HOSTILE), status="identified"
        )
    for path in ("summary.json", "incidents.json", "incidents/unresolved.json"):
        raw = client.get(V2 + path).content.decode()
        text = json.dumps(json.loads(raw))  # also catch what \u escapes would hide
        for needle in ("alert(", "onerror", "javascript:", "<iframe", "<img"):
            assert needle not in raw.lower() and needle not in text.lower(), (path, needle)
    body = get_json(client, "incidents.json")["incidents"][0]["incident_updates"][0]["body"]
    # The text of the sanitised HTML: markup gone, the words kept as typed (plain text,
    # as Statuspage's `body` is: a client escapes it for HTML like any other string).
    assert body.startswith("Hello  world")
    assert "click me" in body
    assert "<script>in code</script> & bold" in body


def test_body_is_plain_text_not_html_escaped(
    client: Client, admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    ada = Actor.staff(admin, channel="console")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=ada, name="AT&T <-> DB", body="AT&T <-> DB", override_reason="Test."
        )
    incident = get_json(client, "incidents.json")["incidents"][0]
    assert incident["name"] == "AT&T <-> DB"
    assert incident["incident_updates"][0]["body"] == "AT&T <-> DB"


def test_component_and_group_names_are_data_not_markup(client: Client, actor: Actor) -> None:
    # Names are plain strings in JSON (as in Statuspage); JSON encoding keeps them inert
    # for a client that parses the JSON, which is the contract.
    group = ComponentGroup.objects.create(name="Core")
    Component.objects.create(name="<b>API</b>", group=group)
    doc = get_json(client, "components.json")
    assert [c["name"] for c in doc["components"]] == ["Core", "<b>API</b>"]
