"""Approved words offered at every step: opening, updating and resolving from templates."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import wording
from incidents.models import Component, Incident
from incidents.wording.drafts import opening_values

pytestmark = pytest.mark.wording  # the production policy


def _text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def test_the_new_incident_form_offers_the_approved_openings(
    console: Client, api: Component
) -> None:
    raw = console.get(reverse("console:incident_new")).content.decode()
    page = html.unescape(raw)
    assert "We are investigating reports of problems with {components} since" in page
    assert 'data-component-name="API"' in page
    promises = json.loads(html.unescape(re.search(r'data-promises="([^"]+)"', raw).group(1)))  # type: ignore[union-attr]
    expected = opening_values(title="", component_names=[], impact="critical", now=timezone.now())
    assert promises["critical"] == expected["next_update_at"]


def test_the_resolve_box_starts_with_the_approved_template_and_posts_as_it_is(
    console: Client, payments: Incident, api: Component
) -> None:
    url = reverse("console:incident_detail", args=[payments.public_id])
    page = _text(console.get(url))
    body = re.search(r'name="resolve-body"[^>]*>\s*([^<]+)</textarea>', page)
    assert body is not None
    assert body.group(1).startswith("This incident has been resolved. Service is back to normal")
    response = console.post(
        reverse("console:incident_resolve", args=[payments.public_id]),
        {"resolve-body": body.group(1)},
    )
    assert response.status_code == 302, _text(response)[:3000]
    payments.refresh_from_db()
    assert payments.status == "resolved"


def test_an_opening_filled_as_the_browser_fills_it_is_published(
    console: Client, api: Component
) -> None:
    now = timezone.now()
    values = opening_values(title="API errors", component_names=["API"], impact="major", now=now)
    body = wording.render(
        "We are investigating reports of problems with {components} since {started_at}. "
        "Next update by {next_update_at}.",
        values,
    )
    response = console.post(
        reverse("console:incident_new"),
        {"name": "API errors", "impact": "major", "status": "investigating", "body": body,
         f"component_{api.public_id}": "major_outage"},
    )  # fmt: skip
    assert response.status_code == 302, _text(response)[:3000]
    incident = Incident.objects.get(name="API errors")
    assert wording.format_time(incident.next_update_due) == values["next_update_at"]


def test_words_sent_for_approval_show_how_long_they_have_waited(
    console: Client, payments: Incident, responder: object
) -> None:
    from datetime import timedelta

    from incidents.audit import Actor
    from incidents.wording import approvals

    approvals.custom_text_request(
        actor=Actor.staff(responder, channel="console", ip="127.0.0.1"),  # type: ignore[arg-type]
        body="Card payments fail for some customers. Next update within 30 minutes.",
        phase="identified",
        incident=payments,
        now=timezone.now() - timedelta(minutes=7),
    )
    page = _text(console.get(reverse("console:incident_detail", args=[payments.public_id])))
    assert "waiting for approval for 7\xa0minutes" in page


def test_approvers_are_told_at_once_with_a_link_to_the_waiting_words(
    console: Client, payments: Incident, legal: object, django_capture_on_commit_callbacks: object
) -> None:
    from django.conf import settings
    from django.core import mail

    from incidents.approvers import links
    from incidents.models import CustomTextRequest

    body = "Card payments fail for some customers. Next update within 30 minutes."
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        console.post(
            reverse("console:incident_detail", args=[payments.public_id]),
            {"status": "identified", "body": body, "action": "request_approval"},
        )
    request = CustomTextRequest.objects.get(incident=payments)
    [message] = mail.outbox
    # The link opens those words, signed for this approver (tests/approvers has the rest).
    path = message.body.split(settings.CANDOR_APP_URL, 1)[1].split()[0]
    assert links.link_open(path.split("/")[3], user_id=legal.pk).words == request  # type: ignore[attr-defined]
    assert body not in message.body
