"""No path publishes unapproved words: console, staff API and automation (a direct
lifecycle call, as ingest and reminders make) are refused alike, for the same reasons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import lifecycle, roles, wording
from incidents.audit import Actor
from incidents.lifecycle import NOT_APPROVED
from incidents.models import (
    AuditEvent,
    Component,
    CustomTextRequest,
    Incident,
    IncidentUpdate,
    Maintenance,
    OverrideReview,
)
from incidents.wording import WordingRefused, approvals, decisions, overrides
from tests.conftest import staff_user
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

AUTOMATION = Actor.system("ingest")
CLEAN = "Checkout is failing for some cards. Next update by 15:00 UTC."
BAD = "Our seamless checkout is down, caused by AWS. No data was lost. Next update by 15:00 UTC."


@pytest.fixture
def api(db: None) -> Component:
    return ComponentFactory(name="API")


@pytest.fixture
def incident(api: Component) -> Incident:
    body = approvals.template_words(
        "investigating",
        wording.values_for(
            title="Checkout errors", component_names=["API"], started_at=timezone.now(),
            next_update_at=timezone.now() + timedelta(minutes=10),
        ),
    )  # fmt: skip
    assert body is not None
    return lifecycle.incident_open(actor=AUTOMATION, name="Checkout errors", body=body)


@pytest.fixture
def console(responder: User) -> Client:
    client = Client()
    client.force_login(responder)
    return client


def _refusal_by_lifecycle(incident: Incident, body: str) -> list[tuple[str, Any, Any]]:
    with pytest.raises(WordingRefused) as refused:
        lifecycle.update_post(actor=AUTOMATION, incident=incident, body=body, status="identified")
    assert NOT_APPROVED in refused.value.messages
    return [(v.rule, v.start, v.end) for v in refused.value.violations]


def _refusal_by_api(
    staff_api: APIClient, incident: Incident, body: str
) -> list[tuple[str, Any, Any]]:
    response = staff_api.post(
        f"/api/staff/incidents/{incident.public_id}/updates/",
        {"body": body, "status": "identified"},
        format="json",
    )
    assert response.status_code == 422, response.content
    answer = response.json()
    assert NOT_APPROVED in answer["errors"]["body"]
    return [(v["rule"], v["start"], v["end"]) for v in answer["violations"]]


def _refusal_by_console(console: Client, incident: Incident, body: str) -> str:
    response = console.post(
        reverse("console:incident_detail", args=[incident.public_id]),
        {"status": "identified", "body": body},
    )
    assert response.status_code == 400
    return response.content.decode()


def test_unapproved_words_are_refused_on_every_path_for_the_same_reasons(
    incident: Incident, staff_api: APIClient, console: Client
) -> None:
    by_lifecycle = _refusal_by_lifecycle(incident, BAD)
    by_api = _refusal_by_api(staff_api, incident, BAD)
    html = _refusal_by_console(console, incident, BAD)

    assert by_lifecycle == by_api
    assert [rule for rule, _, _ in by_lifecycle] == [
        "marketing-speak",
        "vendor-blame",
        "promise-no-data-loss",
    ]
    for rule, start, end in by_lifecycle:
        assert f"<strong>{rule}</strong>" in html
        assert f'<mark title="{rule}">{BAD[start:end]}</mark>' in html
    assert incident.updates.count() == 1


def test_clean_words_still_need_an_approval_on_every_path(
    incident: Incident, staff_api: APIClient, console: Client
) -> None:
    assert _refusal_by_lifecycle(incident, CLEAN) == []
    assert _refusal_by_api(staff_api, incident, CLEAN) == []
    assert NOT_APPROVED in _refusal_by_console(console, incident, CLEAN)
    assert incident.updates.count() == 1


def test_a_rendering_of_an_approved_template_is_published_on_every_path(
    incident: Incident, staff_api: APIClient, console: Client
) -> None:
    words = "We have identified the cause of the problems with API and are working on a fix. "
    # Each promises a time within the cadence (incidents/cadence/promise.py).
    soon = [wording.format_time(timezone.now() + timedelta(minutes=m)) for m in (20, 30, 40)]
    lifecycle.update_post(
        actor=AUTOMATION, incident=incident, body=words + f"Next update by {soon[0]}.",
        status="identified",
    )  # fmt: skip
    response = staff_api.post(
        f"/api/staff/incidents/{incident.public_id}/updates/",
        {"body": words + f"Next update by {soon[1]}.", "status": "identified"},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = console.post(
        reverse("console:incident_detail", args=[incident.public_id]),
        {"status": "identified", "body": words + f"Next update by {soon[2]}."},
    )
    assert response.status_code == 302
    assert incident.updates.count() == 4
    event = AuditEvent.objects.filter(action="incident.updated").first()
    assert event is not None and event.data["wording"]["kind"] == "template"


def test_a_template_filled_with_other_words_is_not_the_template(incident: Incident) -> None:
    body = (
        "We have identified the cause of the problems with everything, we promise, and are "
        "working on a fix. Next update by 15:00 UTC."
    )
    with pytest.raises(WordingRefused):
        lifecycle.update_post(actor=AUTOMATION, incident=incident, body=body, status="identified")


def test_custom_text_publishes_once_an_approver_approved_it_for_this_incident(
    incident: Incident, responder: User, legal: User, api: Component
) -> None:
    me = Actor.staff(responder, channel="console")
    request = approvals.custom_text_request(
        actor=me, body=CLEAN, phase="identified", incident=incident
    )
    with pytest.raises(WordingRefused):  # waiting for approval
        lifecycle.update_post(actor=me, incident=incident, body=CLEAN, status="identified")
    with pytest.raises(WordingRefused):  # approved for another phase only
        lifecycle.update_post(actor=me, incident=incident, body=CLEAN, status="monitoring")

    decisions.approval_give(actor=Actor.staff(legal, channel="console"), custom_text=request)
    update = lifecycle.update_post(
        actor=me, incident=incident, body=CLEAN.replace("\n", "\r\n"), status="identified"
    )

    assert update.body == CLEAN
    other = lifecycle.incident_open(
        actor=AUTOMATION, name="Other", body=incident.updates.last().body
    )  # type: ignore[union-attr]
    with pytest.raises(WordingRefused):  # approved for that incident, not this one
        lifecycle.update_post(actor=me, incident=other, body=CLEAN, status="identified")


def test_approved_words_still_meet_the_policy_in_force_when_published(
    incident: Incident, responder: User, legal: User, admin: User
) -> None:
    me = Actor.staff(responder, channel="console")
    request = approvals.custom_text_request(
        actor=me, body=CLEAN, phase="identified", incident=incident
    )
    decisions.approval_give(actor=Actor.staff(legal, channel="console"), custom_text=request)
    approvals.rule_save(
        actor=Actor.staff(admin, channel="console"),
        key="no-cards",
        kind="banned_phrase",
        pattern="cards",
        reason="Say “payment methods”.",
    )

    with pytest.raises(WordingRefused) as refused:
        lifecycle.update_post(actor=me, incident=incident, body=CLEAN, status="identified")
    assert [v.rule for v in refused.value.violations] == ["no-cards"]


def test_an_admin_override_publishes_is_audited_and_queued_for_review(
    incident: Incident, admin: User, legal: User, staff_api: APIClient
) -> None:
    ada = Actor.staff(admin, channel="console")
    update = lifecycle.update_post(
        actor=ada, incident=incident, body=BAD, status="identified",
        override_reason="Legal unreachable; customers need to know now.",
    )  # fmt: skip

    assert update.body == BAD
    event = AuditEvent.objects.get(action="wording.overridden")
    assert event.actor_label == "ada" and "Legal unreachable" in event.summary
    review = OverrideReview.objects.get()
    assert review.reviewed_at is None and review.body == BAD

    admin.groups.add(*Group.objects.filter(name=roles.APPROVER_SUPPORT))  # she may review...
    ada = Actor.staff(User.objects.get(pk=admin.pk), channel="console")  # (fresh permissions)
    with pytest.raises(ValidationError, match="their own override"):  # ...but not her own
        overrides.override_review_close(actor=ada, review=review, note="Fine.")
    overrides.override_review_close(
        actor=Actor.staff(legal, channel="console"), review=review, note="Acceptable."
    )
    review.refresh_from_db()
    assert review.reviewed_at is not None


def test_only_an_admin_may_override_and_only_with_a_reason(
    incident: Incident, responder: User, admin: User, staff_api: APIClient
) -> None:
    with pytest.raises(PermissionError):
        lifecycle.update_post(
            actor=Actor.staff(responder, channel="console"), incident=incident, body=BAD,
            status="identified", override_reason="I am sure.",
        )  # fmt: skip
    with pytest.raises(PermissionError):
        lifecycle.update_post(
            actor=AUTOMATION, incident=incident, body=BAD, status="identified",
            override_reason="Automation knows best.",
        )  # fmt: skip
    response = staff_api.post(
        f"/api/staff/incidents/{incident.public_id}/updates/",
        {"body": BAD, "status": "identified", "override_reason": "I am sure."},
        format="json",
    )
    assert response.status_code == 403
    with pytest.raises(WordingRefused):  # a blank reason is no override
        lifecycle.update_post(
            actor=Actor.staff(admin, channel="console"), incident=incident, body=BAD,
            status="identified", override_reason="",
        )  # fmt: skip
    assert not OverrideReview.objects.exists()
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1


def test_the_maintenance_sweep_speaks_only_in_approved_templates(api: Component) -> None:
    start = timezone.now() + timedelta(minutes=1)
    body = approvals.template_words(
        "maintenance_scheduled",
        {
            "components": "API",
            "window_start": "2026-01-01 02:00 UTC",
            "window_end": "2026-01-01 03:00 UTC",
        },
    )
    assert body is not None
    window = lifecycle.maintenance_schedule(
        actor=AUTOMATION, name="Upgrade", body=body, components=[api],
        scheduled_for=start, scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip

    assert lifecycle.maintenance_sweep(now=start + timedelta(minutes=1))["started"] == 1
    started = Maintenance.objects.get(pk=window.pk).updates.order_by("-pk").first()
    assert started is not None
    assert (
        started.body
        == "Scheduled maintenance is now in progress. We will provide updates as necessary."
    )


def test_staff_without_the_role_are_refused(incident: Incident) -> None:
    approver = staff_user("apu", roles.APPROVER_SUPPORT)
    with pytest.raises(PermissionError):
        approvals.custom_text_request(
            actor=Actor.staff(approver, channel="console"), body=CLEAN, phase="identified"
        )


def test_an_admin_overrides_in_the_console_and_every_page_shows_the_review_due(
    incident: Incident, admin: User, responder: User, legal: User
) -> None:
    url = reverse("console:incident_detail", args=[incident.public_id])
    ada = Client()
    ada.force_login(admin)
    assert "Emergency override reason" in ada.get(url).content.decode()
    rita = Client()
    rita.force_login(responder)
    assert "Emergency override reason" not in rita.get(url).content.decode()

    response = ada.post(
        url, {"status": "identified", "body": BAD, "override_reason": "Press is calling."}
    )

    assert response.status_code == 302
    assert incident.updates.first().body == BAD  # type: ignore[union-attr]
    assert "1 emergency override to review" in rita.get("/console/").content.decode()
    lou = Client()
    lou.force_login(legal)
    review = OverrideReview.objects.get()
    lou.post(reverse("console:approvals"), {"review": review.public_id, "note": "Accurate."})
    assert "emergency override" not in rita.get("/console/").content.decode()


def test_custom_words_for_a_maintenance_go_through_approval_in_the_console(
    api: Component, console: Client, legal: User
) -> None:
    start = timezone.now() + timedelta(hours=1)
    body = approvals.template_words(
        "maintenance_scheduled",
        {"components": "API", "window_start": "2026-01-01 02:00 UTC",
         "window_end": "2026-01-01 03:00 UTC"},
    )  # fmt: skip
    assert body is not None
    window = lifecycle.maintenance_schedule(
        actor=AUTOMATION, name="Upgrade", body=body, components=[api],
        scheduled_for=start, scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip
    url = reverse("console:maintenance_detail", args=[window.public_id])
    words = {"status": "in_progress", "body": "Starting early, at the customers' request."}

    assert console.post(url, words).status_code == 400
    assert console.post(url, {**words, "action": "request_approval"}).status_code == 302
    request = CustomTextRequest.objects.get(maintenance=window)
    assert request.phase == "maintenance_started"
    decisions.approval_give(actor=Actor.staff(legal, channel="console"), custom_text=request)

    assert console.post(url, words).status_code == 302
    assert Maintenance.objects.get(pk=window.pk).status == "in_progress"
