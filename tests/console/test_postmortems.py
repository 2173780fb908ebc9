"""The console's postmortem page: a responder writes, two approvers approve, the responder
publishes; refused words come back on the form with the reasons."""

from __future__ import annotations

import html
import re

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from incidents.audit import Actor
from incidents.models import (
    Delivery,
    Incident,
    Postmortem,
    PostmortemRevision,
    Subscriber,
    SubscriberState,
)
from tests.postmortems import postmortem_approved, resolved_incident

CAUSE = "A certificate expired on the payment gateway's proxy."


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(page: str) -> str:
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.DOTALL)
    assert match is not None
    return html.unescape(match.group(1)).lstrip("\n")


def test_write_approve_and_publish_in_the_console(
    console: Client, actor: Actor, legal: User, support: User
) -> None:
    incident = resolved_incident(actor)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    page = console.get(url).content.decode()
    assert "Nothing saved yet" in page
    draft = _draft(page)
    assert "First public update: Investigating." in draft  # the generated timeline

    template = re.search(r'<option value="([^"]+)" selected', page)
    assert template is not None
    body = draft.replace("### Root cause\n", f"### Root cause\n\n{CAUSE}\n")
    saved = console.post(url, {"template": template.group(1), "body": body}, follow=True)
    assert "Revision 1 saved" in saved.content.decode()
    assert "Publish postmortem" not in saved.content.decode()

    queue = _signed_in(legal).get("/console/approvals/").content.decode()
    assert "Postmortems waiting for approval" in queue and url in queue
    for approver in (legal, support):
        approve = _signed_in(approver).post(f"{url}approve/", {"revision": "1"}, follow=True)
        assert "You approved revision 1." in approve.content.decode()

    assert url not in _signed_in(legal).get("/console/approvals/").content.decode()
    published = console.post(f"{url}publish/", follow=True)
    assert "Postmortem published." in published.content.decode()
    assert CAUSE in Client().get(f"/incidents/{incident.public_id}").content.decode()


def test_refused_words_come_back_with_the_reasons(console: Client, actor: Actor) -> None:
    incident: Incident = resolved_incident(actor)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    page = console.get(url).content.decode()
    template = re.search(r'<option value="([^"]+)" selected', page)
    assert template is not None
    body = _draft(page).replace(
        "### What we change", "### What we change\n\nThis will never happen again."
    )

    refused = console.post(url, {"template": template.group(1), "body": body})
    assert refused.status_code == 200
    assert "Nothing was saved." in refused.content.decode()
    assert "problem with the wording policy" in refused.content.decode()

    hostile = console.post(url, {"template": template.group(1), "body": body + "\u202e"})
    assert "bidirectional control" in hostile.content.decode()
    assert not PostmortemRevision.objects.exists()


def test_an_approver_sees_the_approve_button_a_responder_does_not(
    console: Client, actor: Actor, legal: User
) -> None:
    incident = resolved_incident(actor)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    page = console.get(url).content.decode()
    template = re.search(r'<option value="([^"]+)" selected', page)
    assert template is not None
    console.post(url, {"template": template.group(1), "body": _draft(page)})
    assert "Approve revision 1" not in console.get(url).content.decode()
    assert "Approve revision 1" in _signed_in(legal).get(url).content.decode()
    # A responder posting the approval anyway is refused by the permission table.
    assert console.post(f"{url}approve/", {"revision": "1"}).status_code == 403


def test_an_approver_rejects_and_the_author_reads_why(
    console: Client, actor: Actor, legal: User
) -> None:
    incident = resolved_incident(actor)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    page = console.get(url).content.decode()
    template = re.search(r'<option value="([^"]+)" selected', page)
    assert template is not None
    console.post(url, {"template": template.group(1), "body": _draft(page)})

    lou = _signed_in(legal)
    answer = lou.post(f"{url}reject/", {"revision": "1", "reason": "Say who was affected."})
    assert answer.status_code == 302
    seen = console.get(url).content.decode()
    assert "Rejected" in seen and "Say who was affected." in seen
    assert "Publish postmortem" not in seen
    assert url not in lou.get("/console/approvals/").content.decode()


def test_publishing_shows_the_forecast_and_tells_subscribers_only_when_asked(
    console: Client, actor: Actor, responder: User
) -> None:
    incident = resolved_incident(actor)
    Subscriber.objects.create(
        channel="email", destination="all@example.com", state=SubscriberState.CONFIRMED,
        created_at=timezone.now(),
    )  # fmt: skip
    postmortem_approved(incident, responder)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    page = console.get(url).content.decode()
    assert 'data-forecast-kind="postmortem_publish"' in page
    # "Nobody" is the choice already made.
    assert re.search(r'value="none"[^>]*checked', page)
    forecast = console.post(
        "/console/forecast/",
        {"forecast_kind": "postmortem_publish", "forecast_target": incident.public_id,
         "notify": "all"},
    )  # fmt: skip
    assert forecast.status_code == 200, forecast.content
    assert "<strong>1</strong> message" in forecast.json()["html"]

    published = console.post(f"{url}publish/", {"notify": "all"}, follow=True)
    assert "Postmortem published; subscribers are told." in published.content.decode()
    assert Delivery.objects.filter(postmortem__incident=incident).count() == 1


def test_a_hostile_notify_choice_is_refused_and_nothing_is_published(
    console: Client, actor: Actor, responder: User
) -> None:
    incident = resolved_incident(actor)
    postmortem_approved(incident, responder)
    url = f"/console/incidents/{incident.public_id}/postmortem/"
    answer = console.post(f"{url}publish/", {"notify": "everyone\u202e"}, follow=True)
    assert "Notify subscribers:" in answer.content.decode()
    assert Postmortem.objects.get(incident=incident).published_at is None
