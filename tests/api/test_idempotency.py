"""Idempotency-Key on the staff API: a retried or duplicated write publishes once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from psycopg import sql
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import idempotency, lifecycle, roles, wording
from incidents.audiences.tokens import token_create
from incidents.audit import Actor
from incidents.dependencies.graph import dependency_add
from incidents.ingest.sources import rule_add, source_create
from incidents.models import (
    Audience,
    AudienceMember,
    AuditEvent,
    DependencyKind,
    IdempotencyKey,
    Incident,
    IncidentUpdate,
    Proposal,
    ProposalKind,
    Reader,
    ReaderInvitation,
    Subscriber,
)
from incidents.vendors.service import vendor_add
from incidents.wording import approvals
from incidents.wording.postmortems import postmortem_templates
from incidents.wording.translation_approvals import translation_submit
from tests.conftest import staff_user
from tests.factories import ComponentFactory, GroupFactory, promised, said
from tests.postmortems import postmortem_approved, postmortem_written, resolved_incident
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

STAFF = "/api/staff/"
KEY = "retry-4f1c2a"


pytestmark = pytest.mark.django_db


def send(
    api: APIClient, path: str, data: Any, *, key: str | None = KEY, method: str = "post"
) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return getattr(api, method)(STAFF + path, data, format="json", headers=headers)


@pytest.fixture
def incident(actor: Actor) -> Incident:
    return lifecycle.incident_open(actor=actor, name="Slow checkout", body=promised("Looking."))


def updates_of(incident: Incident) -> list[str]:
    bodies = IncidentUpdate.objects.filter(incident=incident).values_list("body", flat=True)
    return [said(body) for body in bodies]


# -- the same request twice ------------------------------------------------------------------


def test_a_retried_update_is_posted_once_and_answered_again(
    staff_api: APIClient, incident: Incident
) -> None:
    path = f"incidents/{incident.public_id}/updates/"
    first = send(staff_api, path, {"body": promised("Found it."), "status": "identified"})
    second = send(staff_api, path, {"body": promised("Found it."), "status": "identified"})

    assert first.status_code == second.status_code == 201, first.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert updates_of(incident) == ["Found it.", "Looking."]
    assert AuditEvent.objects.filter(action="incident.updated").count() == 1


def test_key_order_and_spacing_do_not_make_a_new_request(
    staff_api: APIClient, incident: Incident
) -> None:
    path = STAFF + f"incidents/{incident.public_id}/updates/"
    headers = {"Idempotency-Key": KEY}
    body = json.dumps(promised("Found it."))
    staff_api.post(
        path,
        f'{{"body": {body}, "status": "identified"}}',
        content_type="application/json",
        headers=headers,
    )
    again = staff_api.post(
        path,
        f'{{ "status":"identified","body":{body} }}',
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert len(updates_of(incident)) == 2


Write = Callable[[dict[str, str]], tuple[str, str, dict[str, Any]]]


def _write(method: str, path: str, data: dict[str, Any]) -> Write:
    return lambda objects: (method, path.format(**objects), data)


def _schedule(objects: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    start = timezone.now() + timedelta(hours=1)
    return "post", "maintenances/", {
        "name": "DB upgrade", "body": "Upgrading.", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=1)).isoformat(),
    }  # fmt: skip


# Every write the staff API offers: each must honour the key.
def _postmortem_write(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    incident = resolved_incident(objects["actor"])
    template = postmortem_templates()[0]
    body = lifecycle.draft_start(incident, template)
    return "put", f"incidents/{incident.public_id}/postmortem/", {"body": body}


def _postmortem_approve(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    incident = resolved_incident(objects["actor"])
    postmortem_written(incident, objects["colleague"])
    return "post", f"incidents/{incident.public_id}/postmortem/approve/", {}


def _postmortem_reject(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    incident = resolved_incident(objects["actor"])
    postmortem_written(incident, objects["colleague"])
    path = f"incidents/{incident.public_id}/postmortem/reject/"
    return "post", path, {"reason": "Say what customers saw."}


def _postmortem_publish(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    incident = resolved_incident(objects["actor"])
    postmortem_approved(incident, objects["colleague"])
    return "post", f"incidents/{incident.public_id}/postmortem/publish/", {}


WRITES: dict[str, Write] = {
    "write a postmortem": _postmortem_write,
    "approve a postmortem": _postmortem_approve,
    "reject a postmortem": _postmortem_reject,
    "publish a postmortem": _postmortem_publish,
    # An open incident's words promise the next update (made when the test runs).
    "open an incident": lambda objects: (
        "post",
        "incidents/",
        {"name": "x", "body": promised("x")},
    ),
    "post an update": lambda objects: (
        "post",
        f"incidents/{objects['incident']}/updates/",
        {"body": promised("y"), "status": "monitoring"},
    ),
    "resolve": _write("post", "incidents/{incident}/resolve/", {"body": "z"}),
    "create a component": _write("post", "components/", {"name": "Web"}),
    "edit a component": _write("patch", "components/{component}/", {"position": 3}),
    "set a status": _write("post", "components/{component}/status/", {"status": "partial_outage"}),
    "create a group": _write("post", "groups/", {"name": "Edge"}),
    "schedule maintenance": _schedule,
    "post a maintenance update": _write(
        "post", "maintenances/{maintenance}/updates/", {"body": "Go.", "status": "in_progress"}
    ),
    "add a contact": _write("post", "contacts/", {"name": "Oscar", "email": "o@example.com"}),
    "set owners": _write("put", "incidents/{incident}/owners/", {"owners": []}),
    "override the cadence": _write(
        "put",
        "incidents/{incident}/cadence/",
        {"first_minutes": 5, "then_minutes": 10, "every_minutes": 30},
    ),
    "return to the impact's cadence": _write("delete", "incidents/{incident}/cadence/", {}),
    "set an impact's cadence": _write(
        "put", "cadence/critical/", {"first_minutes": 10, "then_minutes": 30, "every_minutes": 60}
    ),
    "send custom text for approval": _write(
        "post", "custom-texts/", {"body": "All fine.", "phase": "resolved"}
    ),
    "approve custom text": _write("post", "custom-texts/{custom}/approve/", {}),
    "submit a translation": _write(
        "post",
        "templates/{template}/versions/{version}/translations/",
        {"language": "de", "body": "Behoben: {translated}"},
    ),
    "approve a translation": _write("post", "translations/{translation}/approve/", {}),
    "reject custom text": _write("post", "custom-texts/{custom}/reject/", {"reason": "Vague."}),
    "publish a proposal": _write("post", "proposals/{proposal}/publish/", {}),
    "dismiss a proposal": _write("post", "proposals/{proposal}/dismiss/", {}),
    "add a dependency": lambda objects: (
        "post",
        "dependencies/",
        {"upstream": objects["upstream"], "downstream": objects["component"], "kind": "hard"},
    ),
    "edit a dependency": _write(
        "patch", "dependencies/{dependency}/", {"kind": "soft", "auto_apply": False}
    ),
    "remove a dependency": _write("delete", "dependencies/{dependency}/", {}),
    "set the SMS cost cap": _write("put", "notify/sms-cost-cap/", {"amount": "25.00"}),
    "add a vendor": lambda objects: ("post", "vendors/", {"url": objects["vendor_url"]}),
    "edit a vendor": _write(
        "put",
        "vendors/{vendor}/",
        {"name": "GitHub", "interval": 120, "show_on_public_page": False},
    ),
    "pick a vendor's components": _write("put", "vendors/{vendor}/components/", {"components": []}),
    "poll a vendor now": _write("post", "vendors/{vendor}/poll/", {}),
    "remove a vendor": _write("delete", "vendors/{vendor}/", {}),
    "set the branding": _write(
        "put",
        "branding/",
        {"site_name": "Acme", "accent_light": "", "accent_dark": "", "support_url": ""},
    ),
    "import subscribers": _write(
        "post",
        "subscribers/import/",
        {"subscribers": [{"channel": "email", "destination": "new@example.com"}]},
    ),
    "unsubscribe a subscriber": _write("delete", "subscribers/{subscriber}/", {}),
    "register a monitor source": _write(
        "post", "sources/", {"name": "grafana", "format": "grafana"}
    ),
    "tune a monitor source": _write("patch", "sources/prom/", {"hold_seconds": 30}),
    "rotate a source's token": _write("post", "sources/prom/rotate/", {}),
    "add a routing rule": _write("post", "sources/prom/rules/", {"kind": "service"}),
    "remove a routing rule": _write("delete", "sources/prom/rules/{rule}/", {}),
    "delete a monitor source": _write("delete", "sources/old/", {}),
    "publish now": _write("post", "publish/", {}),
    # Audiences (issue 19).
    "limit an incident to audiences": _write(
        "put", "incidents/{incident}/audiences/", {"audiences": ["employees"]}
    ),
    "post audience words": lambda objects: (
        "post",
        f"incidents/{objects['incident']}/audience-words/",
        {"audience": "employees", "body": promised("Staff-only words.")},
    ),
    "limit a window to audiences": _write(
        "put", "maintenances/{maintenance}/audiences/", {"audiences": ["employees"]}
    ),
    "post audience words on a window": lambda objects: (
        "post",
        f"maintenances/{objects['maintenance']}/audience-words/",
        {"audience": "employees", "body": "x"},
    ),
    "limit a component to audiences": _write(
        "put", "components/{component}/audiences/", {"audiences": ["employees"]}
    ),
    "create an audience token": _write(
        "post", "audiences/employees/tokens/", {"label": "Dashboard"}
    ),
    "revoke an audience token": _write("delete", "audiences/employees/tokens/{token}/", {}),
}


def _acme() -> Audience:
    return Audience.objects.get_or_create(slug="acme", name="ACME")[0]


def _acme_member(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    reader = Reader.objects.create(email="carol@acme.example", created_at=timezone.now())
    member = AudienceMember.objects.create(
        audience=_acme(), reader=reader, via="link", created_at=timezone.now()
    )
    return "post", f"audiences/acme/members/{member.pk}/revoke/", {}


def _acme_invitation(objects: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    invitation = ReaderInvitation.objects.create(
        audience=_acme(), email="dan@acme.example", created_at=timezone.now()
    )
    return "post", f"audiences/acme/invitations/{invitation.pk}/revoke/", {}


WRITES |= {
    "create an audience": _write(
        "post", "audiences/", {"slug": "employees", "name": "Employees", "oidc_groups": ["staff"]}
    ),
    "edit an audience": lambda objects: (
        "put",
        f"audiences/{_acme().slug}/",
        {"name": "ACME Corp", "ip_allowlist": ["203.0.113.0/24"]},
    ),
    "invite a reader": lambda objects: (
        "post",
        f"audiences/{_acme().slug}/invitations/",
        {"email": "erin@acme.example"},
    ),
    "revoke a reader": _acme_member,
    "revoke an invitation": _acme_invitation,
}

ADMIN_WRITES = {"branding/", "notify/sms-cost-cap/", "sources/old/"}
ADMIN_PREFIXES = ("vendors/", "templates/", "audiences/")
# Writes that change nothing staff decided, so leave no audit event.
UNAUDITED = {"publish/"}


@pytest.fixture
def vendor_peer() -> Iterator[VendorPeer]:
    peer = VendorPeer().start()
    yield peer
    peer.stop()


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_is_done_once_per_key(
    settings: Any,
    vendor_peer: VendorPeer,
    staff_api: APIClient,
    actor: Actor,
    responder: User,
    incident: Incident,
    write: Callable[..., Any],
) -> None:
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=actor, name="W", body="x",
        scheduled_for=now + timedelta(hours=1), scheduled_until=now + timedelta(hours=2),
    )  # fmt: skip
    # Rita also approves, and a colleague's words wait for her.
    responder.groups.add(*Group.objects.filter(name=roles.APPROVER_LEGAL))
    colleague = Actor.staff(staff_user("walt", roles.RESPONDER), channel="api")
    custom = approvals.custom_text_request(actor=colleague, body="Fine.", phase="resolved")
    # A colleague's translation of an approved template, waiting for her too.
    version = approvals.usable_versions("resolved")[0]
    placeholders = " ".join(
        f"{{{p.placeholder}}}" for p in wording.parse(version.body) if p.placeholder
    )
    writer = Actor.staff(staff_user("cole", roles.COMMUNICATOR), channel="api")
    translation = translation_submit(
        actor=writer, version=version, language="fr", body=f"Résolu. {placeholders}"
    )
    component = ComponentFactory(group=GroupFactory())
    # What monitors (or dependencies) propose, waiting for a responder.
    proposal = Proposal.objects.create(
        kind=ProposalKind.OPEN, name="Web", body="x", impact="major",
        components={component.public_id: "major_outage"}, created_at=now, updated_at=now,
    )  # fmt: skip
    # A vendor's status page on loopback, and a vendor already following it.
    settings.CANDOR_VENDOR_ALLOW_PRIVATE = True
    vendor_peer.serve("/api/v2/summary.json", summary_bytes())
    admin = Actor.staff(staff_user("ada", roles.ADMIN), channel="api")
    vendor = vendor_add(actor=admin, url=vendor_peer.url("/"))
    vendor_peer.serve("/other/api/v2/summary.json", summary_bytes())
    upstream, downstream = ComponentFactory(), ComponentFactory()
    dependency = dependency_add(
        actor=admin, upstream=upstream, downstream=downstream, kind=DependencyKind.HARD
    )
    subscriber = Subscriber.objects.create(
        channel="email", destination="old@example.com", state="confirmed", created_at=now
    )
    prom, _token = source_create(actor=admin, name="prom", format="alertmanager")
    source_create(actor=admin, name="old", format="generic")
    rule = rule_add(actor=admin, source=prom, kind="service")
    employees = Audience.objects.create(slug="employees", name="Employees")
    token = token_create(audience=employees, label="Old", actor=admin, now=now).token
    objects = {
        "token": str(token.pk),
        "subscriber": subscriber.public_id,
        "rule": str(rule.pk),
        "upstream": upstream.public_id,
        "dependency": dependency.public_id,
        "vendor": vendor.public_id,
        "vendor_url": vendor_peer.url("/other/"),
        "incident": incident.public_id,
        "component": component.public_id,
        "proposal": proposal.public_id,
        "maintenance": maintenance.public_id,
        "custom": custom.public_id,
        "actor": actor,
        "colleague": colleague.user,
        "template": version.template.public_id,
        "version": str(version.number),
        "translation": str(translation.pk),
    }
    method, path, data = write(objects)
    if "body" in data and "{translated}" in data["body"]:
        data = {**data, "body": data["body"].replace("{translated}", placeholders)}
    if path in ADMIN_WRITES or path.startswith(ADMIN_PREFIXES):  # an Admin's
        responder.groups.add(*Group.objects.filter(name=roles.ADMIN))
    events = AuditEvent.objects.count()

    first = send(staff_api, path, data, method=method)
    second = send(staff_api, path, data, method=method)

    assert first.status_code in (200, 201, 202, 204), first.content
    assert second.status_code == first.status_code
    assert (second.json() if second.content else None) == (first.json() if first.content else None)
    assert second["Idempotent-Replayed"] == "true"
    # Asking for a poll changes nothing staff decided: it leaves no audit event.
    unaudited = path.endswith("/poll/") or path in UNAUDITED
    assert AuditEvent.objects.count() == events + (0 if unaudited else 1)


def test_every_write_operation_documents_the_header() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = {
        (method, path): operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "patch", "put", "delete")
        # A forecast takes a post's body and writes nothing: no key to honour.
        and not path.endswith("/forecast/")
    }
    assert len(writes) == len(WRITES)
    for where, operation in writes.items():
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], where
        assert {"409", "422"} <= set(operation["responses"]), where


# -- the same key for something else ---------------------------------------------------------


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    staff_api: APIClient, incident: Incident
) -> None:
    path = f"incidents/{incident.public_id}/updates/"
    send(staff_api, path, {"body": promised("Found it."), "status": "identified"})
    other = send(staff_api, path, {"body": promised("Fixed it."), "status": "monitoring"})
    elsewhere = send(staff_api, "incidents/", {"name": "Another", "body": promised("x")})

    for response in (other, elsewhere):
        assert response.status_code == 422
        assert "already used for a different request" in response.json()["detail"]
        assert "Idempotent-Replayed" not in response
    assert updates_of(incident) == ["Found it.", "Looking."]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.status == "identified"


@pytest.mark.parametrize(
    "key", ["", "x" * 101, "naïve-key", "tab\tkey"], ids=["empty", "101 chars", "non-ascii", "tab"]
)
def test_a_malformed_key_is_a_400_with_a_reason(staff_api: APIClient, key: str) -> None:
    response = send(staff_api, "incidents/", {"name": "x", "body": promised("x")}, key=key)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key must be 1 to 100 printable ASCII characters."
    }
    assert not Incident.objects.exists()


def test_the_longest_key_and_no_key_are_accepted(staff_api: APIClient) -> None:
    assert (
        send(
            staff_api, "incidents/", {"name": "x", "body": promised("x")}, key="~" * 100
        ).status_code
        == 201
    )
    assert (
        send(staff_api, "incidents/", {"name": "x", "body": promised("x")}, key=None).status_code
        == 201
    )
    assert (
        send(staff_api, "incidents/", {"name": "x", "body": promised("x")}, key=None).status_code
        == 201
    )
    assert Incident.objects.count() == 3


# -- failures and users ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "refused",
    [{"body": "Long", "name": ""}, {"name": "Long", "body": "x" * 20_001}],
    ids=["serializer refusal", "lifecycle refusal"],
)
def test_a_refused_write_leaves_its_key_for_the_corrected_retry(
    staff_api: APIClient, refused: dict[str, str]
) -> None:
    assert send(staff_api, "incidents/", refused).status_code == 400
    assert not IdempotencyKey.objects.exists()

    retry = send(staff_api, "incidents/", {"name": "Long", "body": promised("Fixed.")})
    assert retry.status_code == 201, retry.content
    assert "Idempotent-Replayed" not in retry
    assert Incident.objects.get().name == "Long"


def test_keys_belong_to_each_user(staff_api: APIClient) -> None:
    sam = staff_user("sam", roles.RESPONDER)
    sams_api = APIClient()
    sams_api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=sam).key}")

    ritas = send(staff_api, "incidents/", {"name": "Outage", "body": promised("x")})
    sams = send(sams_api, "incidents/", {"name": "Outage", "body": promised("x")})

    assert ritas.status_code == sams.status_code == 201
    assert "Idempotent-Replayed" not in sams
    assert ritas.json()["id"] != sams.json()["id"]
    assert Incident.objects.count() == 2


# -- two at once -----------------------------------------------------------------------------


class Call(threading.Thread):
    """One API request on its own thread, and so on its own database connection."""

    def __init__(self, token: str, path: str, data: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.token, self.path, self.data = token, path, data
        self.response: Any = None

    def run(self) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")
            self.response = send(client, self.path, self.data)
        finally:
            connection.close()


def _wait_for_lock_waiters(count: int) -> None:
    """Until `count` sessions of this database wait for a lock: the requests are parked."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            (waiting,) = cursor.fetchone()
        if waiting >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{count} requests never queued for a lock")


@pytest.fixture
def held_incident(transactional_db: None, responder: User) -> Iterator[tuple[Incident, Any]]:
    """An open incident, and a release() for the row lock another session holds on it.

    The first request claims its key, then waits at update_post's lock on the incident:
    a write caught in the middle, for as long as the test needs.
    """
    actor = Actor.staff(responder, channel="console")
    incident = lifecycle.incident_open(actor=actor, name="Slow checkout", body=promised("Looking."))
    settings = connection.settings_dict
    blocker = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
    lock = sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE")
    blocker.execute(lock.format(sql.Identifier(Incident._meta.db_table)), [incident.pk])
    try:
        yield incident, blocker.rollback
    finally:
        blocker.close()


@pytest.fixture
def token(responder: User) -> str:
    return Token.objects.create(user=responder).key


def test_a_duplicate_arriving_during_the_write_gets_its_answer(
    held_incident: tuple[Incident, Any], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "CLAIM_WAIT", timedelta(seconds=30))
    incident, release = held_incident
    data = {"body": promised("Found it."), "status": "identified"}
    first = Call(token, f"incidents/{incident.public_id}/updates/", data)
    duplicate = Call(token, f"incidents/{incident.public_id}/updates/", data)

    first.start()
    _wait_for_lock_waiters(1)  # the first holds the key and waits for the incident
    duplicate.start()
    _wait_for_lock_waiters(2)  # the duplicate waits for the first's key
    release()
    first.join(10)
    duplicate.join(10)

    assert first.response.status_code == duplicate.response.status_code == 201
    assert duplicate.response["Idempotent-Replayed"] == "true"
    assert duplicate.response.json() == first.response.json()
    assert updates_of(incident) == ["Found it.", "Looking."]


def test_a_duplicate_that_waits_too_long_is_told_the_key_is_in_progress(
    held_incident: tuple[Incident, Any], token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "CLAIM_WAIT", timedelta(milliseconds=200))
    incident, release = held_incident
    data = {"body": promised("Found it."), "status": "identified"}
    first = Call(token, f"incidents/{incident.public_id}/updates/", data)
    duplicate = Call(token, f"incidents/{incident.public_id}/updates/", data)

    first.start()
    _wait_for_lock_waiters(1)
    duplicate.start()
    duplicate.join(10)  # while the first is still held mid-write
    release()
    first.join(10)

    assert duplicate.response.status_code == 409
    assert "in progress" in duplicate.response.json()["detail"]
    assert first.response.status_code == 201
    assert updates_of(incident) == ["Found it.", "Looking."]
    # Once the first is done, the retry the 409 asked for gets its answer.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    retry = send(client, f"incidents/{incident.public_id}/updates/", data)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.response.json()


# -- the Statuspage-shaped API (/api/v1/): every write honours the key too ---------------------

V1 = "/api/v1/pages/{page}/"

V1_WRITES: dict[str, Write] = {
    "v1: create an incident": lambda objects: (
        "post",
        "incidents.json",
        {"incident": {"name": "x", "body": promised("x")}},
    ),
    "v1: update an incident (PATCH)": lambda objects: (
        "patch",
        f"incidents/{objects['incident']}.json",
        {"incident": {"status": "identified", "body": promised("y")}},
    ),
    "v1: update an incident (PUT)": lambda objects: (
        "put",
        f"incidents/{objects['incident']}.json",
        {"incident": {"status": "resolved", "body": "z"}},
    ),
    "v1: create a component": _write("post", "components.json", {"component": {"name": "Web"}}),
    "v1: edit a component (PATCH)": _write(
        "patch", "components/{component}.json", {"component": {"status": "major_outage"}}
    ),
    "v1: edit a component (PUT)": _write(
        "put", "components/{component}", {"component": {"position": 4}}
    ),
    "v1: create a subscriber": _write(
        "post",
        "subscribers.json",
        {"subscriber": {"email": "s@example.com", "skip_confirmation_notification": True}},
    ),
    "v1: unsubscribe a subscriber": _write("delete", "subscribers/{subscriber}.json", {}),
}


@pytest.mark.parametrize("write", V1_WRITES.values(), ids=V1_WRITES.keys())
def test_every_v1_write_is_done_once_per_key(
    settings: Any, responder: User, incident: Incident, write: Write
) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"OAuth {Token.objects.create(user=responder).key}")
    subscriber = Subscriber.objects.create(
        channel="email", destination="t@example.com", state="confirmed", created_at=timezone.now()
    )
    objects = {
        "incident": incident.public_id,
        "component": ComponentFactory().public_id,
        "subscriber": subscriber.public_id,
    }
    method, path, data = write(objects)
    url = V1.format(page=settings.CANDOR_PAGE_ID) + path
    events = AuditEvent.objects.count()

    def again() -> Any:
        return getattr(api, method)(url, data, format="json", headers={"Idempotency-Key": KEY})

    first, second = again(), again()

    assert first.status_code in (200, 201), first.content
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.count() == events + 1
