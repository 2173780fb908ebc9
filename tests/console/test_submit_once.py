"""A console form sent twice (double click, reload, back and send) writes once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import lifecycle, roles, wording
from incidents.approvers import links
from incidents.audiences.tokens import token_create
from incidents.audit import Actor
from incidents.console.forms.wording import RuleForm
from incidents.console.urls import urlpatterns
from incidents.dependencies import graph
from incidents.ingest import sources
from incidents.models import (
    Audience,
    AudienceMember,
    AuditEvent,
    Component,
    Contact,
    IdempotencyKey,
    Incident,
    IncidentUpdate,
    Maintenance,
    Proposal,
    Reader,
    ReaderInvitation,
    Reminder,
    Source,
)
from incidents.reminders.services import contact_save
from incidents.vendors import service as vendors
from incidents.wording import approvals
from incidents.wording.postmortems import postmortem_templates
from tests.conftest import staff_user
from tests.factories import promised, said, standing_words_approve
from tests.postmortems import postmortem_approved, postmortem_written, resolved_incident
from tests.vendors.conftest import summary_bytes
from tests.vendors.peers import VendorPeer

ALREADY_SAVED = "Already saved — this form was submitted twice."
FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def incident(actor: Actor, api: Component) -> Incident:
    return lifecycle.incident_open(
        actor=actor,
        name="Slow checkout",
        body=promised("Looking."),
        components={api: "partial_outage"},
    )


@pytest.fixture
def maintenance(actor: Actor, api: Component) -> Maintenance:
    start = timezone.now() + timedelta(days=1)
    return lifecycle.maintenance_schedule(
        actor=actor, name="DB upgrade", body="Upgrading.", components=[api],
        scheduled_for=start, scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip


@pytest.fixture
def vendor_peer(settings: Any) -> Iterator[VendorPeer]:
    """A vendor's Statuspage on loopback."""
    settings.CANDOR_VENDOR_ALLOW_PRIVATE = True
    settings.CANDOR_VENDOR_TIMEOUT = 1
    peer = VendorPeer().start()
    peer.serve("/api/v2/summary.json", summary_bytes())
    yield peer
    peer.stop()


def keys_in(html: str) -> list[str]:
    return re.findall(r'name="submission_key" value="([^"]+)"', html)


def updates_of(incident: Incident) -> list[str]:
    bodies = IncidentUpdate.objects.filter(incident=incident).values_list("body", flat=True)
    return [said(body) for body in bodies]


# -- every write form, every write view -------------------------------------------------------


def test_every_write_form_carries_a_fresh_one_time_key(
    console: Client, api: Component, incident: Incident, maintenance: Maintenance
) -> None:
    pages = [
        reverse("console:incident_new"),
        reverse("console:incident_detail", args=[incident.public_id]),
        reverse("console:components"),
        reverse("console:component_new"),
        reverse("console:component_edit", args=[api.public_id]),
        reverse("console:group_new"),
        reverse("console:maintenance_new"),
        reverse("console:maintenance_detail", args=[maintenance.public_id]),
        reverse("console:cadence"),
        reverse("console:contacts"),
        reverse("console:component_dependencies", args=[api.public_id]),
        reverse("console:vendors"),
        reverse("console:imports"),
    ]
    logout = f'action="{reverse("console:logout")}"'
    for page in pages:
        html = console.get(page).content.decode()
        forms = re.findall(r'<form method="post"(.*?)</form>', html, re.DOTALL)
        # The language switch sets a preference: sent twice, it sets the same value.
        language = f'action="{reverse("console:language")}"'
        writes = [form for form in forms if logout not in form and language not in form]
        assert writes, page
        for form in writes:
            assert len(keys_in(form)) == 1, (page, form)
        keys = keys_in(html)
        assert all(uuid.UUID(key).version == 4 for key in keys)
        assert not set(keys) & set(keys_in(console.get(page).content.decode())), page


Post = Callable[[dict[str, Any]], tuple[str, dict[str, str]]]


def _window(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    start = timezone.now() + timedelta(days=2)
    return reverse("console:maintenance_new"), {
        "name": "Network work", "body": "Switches.",
        "scheduled_for": start.strftime(FORMAT),
        "scheduled_until": (start + timedelta(hours=1)).strftime(FORMAT),
    }  # fmt: skip


RULE = {
    "key": "hype", "kind": "banned_phrase", "pattern": "amazing", "channel": "all",
    "scope": "all", "reason": "Hype.", "active": "on",
}  # fmt: skip


def _policy_save() -> tuple[str, dict[str, str]]:
    """Saving a rule, as after its dry run (the form carries the digest it ran for)."""
    form = RuleForm(RULE)
    assert form.is_valid()
    return reverse("console:policy"), {**RULE, "save": "1", "previewed": form.digest()}


def _roles(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    user = objects["colleague"]
    return reverse("console:staff_roles", args=[user.username]), {
        f"u{user.pk}-roles": roles.COMMUNICATOR
    }


def _break_glass(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    user = objects["colleague"]
    return reverse("console:staff_break_glass", args=[user.username]), {"break_glass": "on"}


def _approve(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return reverse("console:approvals"), {"custom_text": objects["custom"].public_id}


def _translate(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    version = approvals.usable_versions("resolved")[0]
    url = reverse(
        "console:template_translations", args=[version.template.public_id, version.number]
    )
    placeholders = " ".join(
        f"{{{p.placeholder}}}" for p in wording.parse(version.body) if p.placeholder
    )
    return url, {"language": "de", "body": f"Behoben. {placeholders}"}


def _decide(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    token = links.token_for(approver_id=objects["me"].pk, words=objects["custom"])
    return reverse("console:decide", args=[token]), {"decision": "approve"}


def _recovery_codes(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    device = TOTPDevice.objects.create(user=User.objects.get(username="rita"), confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return reverse("console:recovery_codes"), {"token": f"{code:06d}"}


def _post(name: str, target: str | None, data: dict[str, str]) -> Post:
    def build(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
        args = [objects[target].public_id] if target else []
        fields = {k.format(api=objects["component"].public_id): v for k, v in data.items()}
        if name in ("incident_new", "incident_detail"):  # an open incident's words promise
            fields["body"] = promised(fields["body"])
        return reverse(f"console:{name}", args=args), fields

    return build


def _contact(name: str = "Olivia") -> Contact:
    return contact_save(actor=Actor.system("test"), name=name, email="olivia@example.com")


def _owners(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    url = reverse("console:incident_owners", args=[objects["incident"].public_id])
    return url, {"owners": _contact().public_id}


def _contact_edit(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    url = reverse("console:contact_edit", args=[_contact().public_id])
    return url, {"name": "Olivia B.", "email": "olivia@example.com", "on_call": "on"}


def _reminder_ack(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    now = timezone.now()
    reminder = Reminder.objects.create(
        incident=objects["incident"], kind="update_due", due_at=now, send_at=now,
        state="sent", sent_at=now, created_at=now,
    )  # fmt: skip
    return reverse("console:reminder_ack", args=[reminder.public_id]), {}


def _import(objects: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    csv = b"channel,destination\nemail,imported@example.com\n"
    return reverse("console:subscriber_import"), {
        "file": SimpleUploadedFile("subscribers.csv", csv, content_type="text/csv")
    }


def _retry(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    update = objects["incident"].updates.first()
    return reverse("console:notifications_retry", args=["incident", update.public_id]), {}


def _postmortem(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    incident = resolved_incident(Actor.staff(objects["me"], channel="console"))
    template = postmortem_templates()[0]
    return reverse("console:postmortem", args=[incident.public_id]), {
        "template": template.template.public_id,
        "body": lifecycle.draft_start(incident, template),
    }


def _postmortem_approve(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    incident = resolved_incident(Actor.staff(objects["me"], channel="console"))
    postmortem_written(incident, objects["colleague"])
    return reverse("console:postmortem_approve", args=[incident.public_id]), {"revision": "1"}


def _postmortem_reject(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    incident = resolved_incident(Actor.staff(objects["me"], channel="console"))
    postmortem_written(incident, objects["colleague"])
    url = reverse("console:postmortem_reject", args=[incident.public_id])
    return url, {"revision": "1", "reason": "Say what customers saw."}


def _postmortem_publish(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    incident = resolved_incident(Actor.staff(objects["me"], channel="console"))
    postmortem_approved(incident, objects["colleague"])
    return reverse("console:postmortem_publish", args=[incident.public_id]), {}


WRITES: dict[str, Post] = {
    "postmortem": _postmortem,
    "postmortem_approve": _postmortem_approve,
    "postmortem_reject": _postmortem_reject,
    "postmortem_publish": _postmortem_publish,
    "incident_new": _post(
        "incident_new",
        None,
        {"name": "Outage", "impact": "major", "status": "investigating", "body": "Down."},
    ),
    "incident_detail": _post(
        "incident_detail", "incident", {"status": "identified", "body": "Found it."}
    ),
    "incident_resolve": _post("incident_resolve", "incident", {"resolve-body": "Fixed."}),
    "component_status": _post("component_status", "component", {"c-{api}-status": "major_outage"}),
    "component_new": _post("component_new", None, {"name": "CDN", "position": "0"}),
    "component_edit": _post("component_edit", "component", {"name": "Public API", "position": "3"}),
    "group_new": _post("group_new", None, {"name": "Edge", "position": "0"}),
    "maintenance_new": _window,
    "maintenance_detail": _post(
        "maintenance_detail", "maintenance", {"status": "in_progress", "body": "Go."}
    ),
    "incident_cadence": _post(
        "incident_cadence",
        "incident",
        {"cadence-first_minutes": "5", "cadence-then_minutes": "10", "cadence-every_minutes": "20"},
    ),
    "incident_owners": _owners,
    "cadence": _post(
        "cadence",
        None,
        {
            "impact": "major",
            "major-first_minutes": "10",
            "major-then_minutes": "30",
            "major-every_minutes": "60",
        },
    ),
    "contacts": _post("contacts", None, {"name": "Oscar", "email": "oscar@example.com"}),
    "contact_edit": _contact_edit,
    "reminder_ack": _reminder_ack,
    "templates": _post(
        "templates",
        None,
        {"name": "Short", "phase": "resolved", "channel": "web", "body": "All is well."},
    ),
    "policy": lambda objects: _policy_save(),
    "staff_roles": _roles,
    "staff_break_glass": _break_glass,
    "approvals": _approve,
    "template_translations": _translate,
    "decide": _decide,
    "recovery_codes": _recovery_codes,
}


def _source() -> Source:
    source, _ = sources.source_create(actor=Actor.system("t"), name="prom", format="generic")
    return source


def _on_source(name: str, data: dict[str, str], *, rule: bool = False) -> Post:
    def build(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
        source = _source()
        args = [source.name]
        if rule:
            made = sources.rule_add(actor=Actor.system("t"), source=source, kind="service")
            args.append(str(made.pk))
        return reverse(f"console:{name}", args=args), data

    return build


def _proposal(objects: dict[str, Any]) -> tuple[str, dict[str, str]]:
    now = timezone.now()
    proposal = Proposal.objects.create(
        kind="open", name="Degraded service: API", body=promised("Investigating."), impact="major",
        components={objects["component"].public_id: "partial_outage"},
        created_at=now, updated_at=now,
    )  # fmt: skip
    return reverse("console:proposal_decide", args=[proposal.public_id]), {"decision": "publish"}


_SOURCE_SETTINGS = {
    "rate_per_second": "10", "burst": "10", "hold_seconds": "0", "hold_count": "1",
    "recover_seconds": "0", "flap_changes": "4", "flap_window_seconds": "60",
}  # fmt: skip
WRITES |= {
    "source_new": lambda objects: (
        reverse("console:source_new"),
        {"name": "grafana", "format": "grafana", **_SOURCE_SETTINGS},
    ),
    "source_detail": _on_source("source_detail", _SOURCE_SETTINGS),
    "source_rotate": _on_source("source_rotate", {}),
    "source_delete": _on_source("source_delete", {}),
    "rule_add": _on_source("rule_add", {"kind": "service", "position": "0"}),
    "rule_remove": _on_source("rule_remove", {}, rule=True),
    "proposal_decide": _proposal,
    "subscriber_import": _import,
    "notifications_retry": _retry,
    "branding": lambda objects: (
        reverse("console:branding"),
        {"site_name": "Acme", "accent_light": "#0b6e4f", "accent_dark": "", "support_url": ""},
    ),
}


def _edge(objects: dict[str, Any]) -> str:
    cdn = Component.objects.create(name="CDN", position=9)
    edge = graph.dependency_add(
        actor=Actor.system("t"), upstream=cdn, downstream=objects["component"], kind="hard"
    )
    return edge.public_id


def _vendor(objects: dict[str, Any]) -> str:
    actor = Actor.staff(objects["me"], channel="console")
    return vendors.vendor_add(actor=actor, url=objects["vendor_peer"].url("/")).public_id


WRITES |= {
    "component_dependencies": lambda objects: (
        reverse("console:component_dependencies", args=[objects["component"].public_id]),
        {"upstream": Component.objects.create(name="DNS", position=8).public_id, "kind": "hard"},
    ),
    "dependency_edit": lambda objects: (
        reverse("console:dependency_edit", args=[_edge(objects)]),
        {"kind": "soft"},
    ),
    "dependency_remove": lambda objects: (
        reverse("console:dependency_remove", args=[_edge(objects)]),
        {},
    ),
    "vendors": lambda objects: (
        reverse("console:vendors"),
        {"url": objects["vendor_peer"].url("/"), "name": ""},
    ),
    "vendor_detail": lambda objects: (
        reverse("console:vendor_detail", args=[_vendor(objects)]),
        {"name": "GitHub", "interval": "300", "show_on_public_page": "on"},
    ),
    "vendor_remove": lambda objects: (
        reverse("console:vendor_remove", args=[_vendor(objects)]),
        {},
    ),
    "sms_cost_cap": lambda objects: (reverse("console:sms_cost_cap"), {"amount": "12.50"}),
    # Starts the import (its run and audit event); the import itself runs after the commit.
    "imports": lambda objects: (
        reverse("console:imports"),
        {"page_id": "kctbh9vrtdwd", "api_key": "key", "base_url": "http://127.0.0.1:9/v1"},
    ),
    "report_settings": lambda objects: (
        reverse("console:report_settings"),
        {"enabled": "on", "figures": ["show_uptime"], "hidden": [objects["component"].public_id]},
    ),
}


def _audience(objects: dict[str, Any]) -> Audience:
    return Audience.objects.get_or_create(slug="customer-acme", name="Customer ACME")[0]


def _member(objects: dict[str, Any]) -> AudienceMember:
    reader = Reader.objects.create(email="carol@acme.example", created_at=timezone.now())
    return AudienceMember.objects.create(
        audience=_audience(objects), reader=reader, via="link", created_at=timezone.now()
    )


def _invitation(objects: dict[str, Any]) -> ReaderInvitation:
    return ReaderInvitation.objects.create(
        audience=_audience(objects), email="dan@acme.example", created_at=timezone.now()
    )


def _employees() -> Audience:
    return Audience.objects.get_or_create(slug="employees", defaults={"name": "Employees"})[0]


def _token(objects: dict[str, Any]) -> str:
    actor = Actor.staff(objects["me"], channel="console")
    return str(
        token_create(audience=_employees(), label="Old", actor=actor, now=timezone.now()).token.pk
    )


WRITES |= {
    "audiences": lambda objects: (
        reverse("console:audiences"),
        {"slug": "employees", "name": "Employees", "oidc_groups": "staff", "ip_allowlist": ""},
    ),
    "audience_detail": lambda objects: (
        reverse("console:audience_detail", args=[_audience(objects).slug]),
        {"name": "ACME Corp", "description": "", "oidc_groups": "", "ip_allowlist": "10.0.0.0/8"},
    ),
    "audience_invite": lambda objects: (
        reverse("console:audience_invite", args=[_audience(objects).slug]),
        {"email": "erin@acme.example"},
    ),
    "audience_member_revoke": lambda objects: (
        reverse("console:audience_member_revoke", args=["customer-acme", _member(objects).pk]),
        {},
    ),
    "audience_invitation_revoke": lambda objects: (
        reverse(
            "console:audience_invitation_revoke", args=["customer-acme", _invitation(objects).pk]
        ),
        {},
    ),
    "incident_audiences": lambda objects: (
        reverse("console:incident_audiences", args=[objects["incident"].public_id]),
        {"audiences": [_employees().slug]},
    ),
    "incident_audience_words": lambda objects: (
        reverse("console:incident_audience_words", args=[objects["incident"].public_id]),
        {"audience": _employees().slug, "body": promised("Staff-only words.")},
    ),
    "maintenance_audiences": lambda objects: (
        reverse("console:maintenance_audiences", args=[objects["maintenance"].public_id]),
        {"audiences": [_employees().slug]},
    ),
    "maintenance_audience_words": lambda objects: (
        reverse("console:maintenance_audience_words", args=[objects["maintenance"].public_id]),
        {"audience": _employees().slug, "body": _approved("Staff: the window starts on time.")},
    ),
    "component_audiences": lambda objects: (
        reverse("console:component_audiences", args=[objects["component"].public_id]),
        {"audiences": [_employees().slug]},
    ),
    "audience_tokens": lambda objects: (
        reverse("console:audience_tokens"),
        {"audience": _employees().slug, "label": "Dashboard"},
    ),
    "audience_token_revoke": lambda objects: (
        reverse("console:audience_token_revoke", args=[_token(objects)]),
        {},
    ),
}


def _approved(text: str) -> str:
    standing_words_approve(text)
    return text


# Console pages that only read, and the views that are not forms of record ("Publish now"
# records nothing, and publishing twice leaves the copies as publishing once does; nor does
# "Poll now", and the send forecast is a POST only to keep drafts out of logs).
READ_ONLY = {
    "dashboard", "incident_list", "components", "maintenance_list", "audit", "preview",
    "publishing", "reminders", "compliance", "wording_check", "staff", "two_factor",
    "sources", "signals", "proposals",
    "subscribers", "notifications",
    "dependencies", "vendor_poll", "send_forecast", "import_detail",
}  # fmt: skip


def test_every_console_write_view_is_covered_here() -> None:
    # Signing in and out, and the provider's round trip of single sign-on, are not forms.
    signing_in = {"login", "logout", "sso_start", "sso_callback"}
    # Choosing one's console language sets the same value however often it is sent.
    preference = {"language"}
    names = {p.name for p in urlpatterns} - signing_in - preference - READ_ONLY
    assert names == set(WRITES)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_view_writes_once_per_submission(
    console: Client,
    api: Component,
    incident: Incident,
    maintenance: Maintenance,
    write: Post,
    responder: User,
    vendor_peer: VendorPeer,
) -> None:
    # Rita may do everything here, and a colleague has words for her to approve.
    responder.groups.add(*Group.objects.filter(name__in=[roles.ADMIN, roles.APPROVER_LEGAL]))
    colleague = staff_user("walt", roles.RESPONDER)
    custom = approvals.custom_text_request(
        actor=Actor.staff(colleague, channel="console"), body="Back to normal.", phase="resolved"
    )
    url, data = write(
        {
            "incident": incident,
            "component": api,
            "maintenance": maintenance,
            "colleague": colleague,
            "custom": custom,
            "me": responder,
            "vendor_peer": vendor_peer,
        }
    )
    data["submission_key"] = str(uuid.uuid4())
    events = AuditEvent.objects.count()

    first = console.post(url, data)
    second = console.post(url, data, follow=True)

    assert first.status_code == 302, first.content.decode()
    assert second.redirect_chain == [(first["Location"], 302)]
    assert ALREADY_SAVED in second.content.decode()
    assert AuditEvent.objects.count() == events + 1


# -- what a responder sees ---------------------------------------------------------------------


def test_posting_the_same_update_form_twice_posts_one_update(
    console: Client, incident: Incident
) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    key = keys_in(console.get(url).content.decode())[0]  # the update form comes first
    data = {"status": "identified", "body": promised("Found it."), "submission_key": key}

    first = console.post(url, data, follow=True)
    assert "Update posted and published." in first.content.decode()
    second = console.post(url, data)

    assert second.status_code == 302
    assert second["Location"] == url
    assert ALREADY_SAVED in console.get(url).content.decode()
    assert updates_of(incident) == ["Found it.", "Looking."]


def test_opening_an_incident_twice_with_the_same_key_opens_one(
    console: Client, api: Component
) -> None:
    url = reverse("console:incident_new")
    key = keys_in(console.get(url).content.decode())[0]
    data = {
        "name": "Checkout down", "impact": "critical", "status": "investigating",
        "body": promised("Payments fail."), f"component_{api.public_id}": "major_outage",
        "submission_key": key,
    }  # fmt: skip

    first = console.post(url, data)
    second = console.post(url, data, follow=True)

    incident = Incident.objects.get()
    detail = reverse("console:incident_detail", args=[incident.public_id])
    assert first["Location"] == detail
    assert second.redirect_chain == [(detail, 302)]
    assert ALREADY_SAVED in second.content.decode()
    assert updates_of(incident) == ["Payments fail."]


def test_resolving_twice_says_already_saved_not_already_resolved(
    console: Client, incident: Incident
) -> None:
    url = reverse("console:incident_resolve", args=[incident.public_id])
    data = {"resolve-body": "Fixed.", "submission_key": str(uuid.uuid4())}
    console.post(url, data)
    second = console.post(url, data, follow=True)

    html = second.content.decode()
    assert ALREADY_SAVED in html
    assert "This incident is resolved" not in html
    assert updates_of(incident) == ["Fixed.", "Looking."]


def test_a_form_shown_again_with_errors_can_be_sent_again_with_its_key(
    console: Client, incident: Incident
) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    key = str(uuid.uuid4())
    refused = console.post(url, {"status": "identified", "body": "  ", "submission_key": key})
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()

    fixed = console.post(
        url, {"status": "identified", "body": promised("Found it."), "submission_key": key}
    )
    assert fixed.status_code == 302
    assert ALREADY_SAVED not in console.get(url).content.decode()
    assert updates_of(incident) == ["Found it.", "Looking."]


def test_a_form_changed_after_it_was_sent_saves_nothing_and_says_so(
    console: Client, incident: Incident
) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    key = str(uuid.uuid4())
    console.post(
        url, {"status": "identified", "body": promised("Found it."), "submission_key": key}
    )
    changed = console.post(
        url,
        {"status": "monitoring", "body": promised("Fix deployed."), "submission_key": key},
        follow=True,
    )

    assert changed.redirect_chain == [(url, 302)]
    assert "already been submitted" in changed.content.decode()
    assert updates_of(incident) == ["Found it.", "Looking."]


def test_a_post_without_a_key_still_works_unprotected(console: Client, incident: Incident) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    data = {"status": "identified", "body": promised("Found it.")}
    assert console.post(url, data).status_code == 302
    assert console.post(url, data).status_code == 302
    assert updates_of(incident) == ["Found it.", "Found it.", "Looking."]


def test_a_malformed_key_is_refused(console: Client, incident: Incident) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    response = console.post(
        url, {"status": "identified", "body": promised("x"), "submission_key": "k" * 101}
    )
    assert response.status_code == 400
    assert "submission key is not valid" in response.content.decode()
    assert updates_of(incident) == ["Looking."]
