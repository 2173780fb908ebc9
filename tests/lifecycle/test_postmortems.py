"""Postmortems: draft, both approvals, publish; then the incident page, the feeds, the v2
JSON and the static snapshot carry it. And what is refused on the way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from incidents import lifecycle, wording
from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    Incident,
    PostmortemRevision,
    SiteChange,
    TemplateVersion,
)
from incidents.publish.manifest import path_for_url
from incidents.publish.snapshot import render_snapshot
from incidents.wording import approvals
from incidents.wording.postmortems import MAX_CHARS, postmortem_templates
from tests.factories import promised, standing_words_approve

pytestmark = pytest.mark.embedded  # works in `make run` (SQLite, no Redis) too

T0 = datetime(2026, 10, 20, 7, 55, tzinfo=UTC)
ROOT_CAUSE = "A configuration change halved the database connection pool."
CHANGE = "Pool changes now go through a canary first."


def actor_of(user: User) -> Actor:
    return Actor.staff(user, channel="console")


@pytest.fixture
def template() -> TemplateVersion:
    return postmortem_templates()[0]


@pytest.fixture
def resolved(actor: Actor) -> Incident:
    with time_machine.travel(T0, tick=False):
        incident = lifecycle.incident_open(
            actor=actor, name="Checkout errors", body=promised("Looking into it.")
        )
    standing_words_approve("Checkout works again.")
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        lifecycle.incident_resolve(actor=actor, incident=incident, body="Checkout works again.")
    incident.refresh_from_db()
    return incident


def written(incident: Incident, template: TemplateVersion) -> str:
    """The draft the console offers, with the responder's own words added."""
    draft = lifecycle.draft_start(incident, template)
    draft = draft.replace("### Root cause\n", f"### Root cause\n\n{ROOT_CAUSE}\n")
    return draft.replace("### What we change", f"### What we change\n\n{CHANGE}")


def approve_both(revision: PostmortemRevision, legal: User, support: User) -> None:
    lifecycle.postmortem_approve(actor=actor_of(legal), revision=revision)
    lifecycle.postmortem_approve(actor=actor_of(support), revision=revision)


def test_the_draft_starts_from_the_template_with_the_generated_timeline(
    resolved: Incident, template: TemplateVersion
) -> None:
    draft = lifecycle.draft_start(resolved, template)
    assert draft.startswith("### Summary\n\nCheckout errors: what happened")
    timeline = draft.split("### Timeline\n\n")[1].split("\n\n### Root cause")[0]
    assert timeline == (
        "- 2026-10-20 07:55 UTC: First public update: Investigating.\n"
        "- 2026-10-20 08:35 UTC: Status changed to Resolved."
    )


def test_draft_then_both_approvals_then_page_feeds_json_and_snapshot(
    resolved: Incident,
    template: TemplateVersion,
    actor: Actor,
    legal: User,
    support: User,
    client: Client,
    tmp_path: Path,
) -> None:
    revision = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=written(resolved, template), template_version=template
    )
    postmortem = revision.postmortem
    lifecycle.postmortem_approve(actor=actor_of(legal), revision=revision)
    with pytest.raises(ValidationError, match="approvals"):
        lifecycle.postmortem_publish(actor=actor, postmortem=postmortem)  # one is not enough
    lifecycle.postmortem_approve(actor=actor_of(support), revision=revision)
    version_before = SiteChange.objects.order_by("-version").first()

    published_at = datetime(2026, 10, 22, 9, 0, tzinfo=UTC)
    with time_machine.travel(published_at, tick=False):
        lifecycle.postmortem_publish(actor=actor, postmortem=postmortem)

    # Published like any public change: a new site version, scoped to this incident.
    change = SiteChange.objects.order_by("-version").first()
    assert change is not None and change != version_before
    assert change.incidents == [resolved.public_id]
    event = AuditEvent.objects.get(action=AuditAction.POSTMORTEM_PUBLISHED)
    assert {a["qualifier"] for a in event.data["approvals"]} == {"legal", "support"}

    page = client.get(f"/incidents/{resolved.public_id}").content.decode()
    assert 'id="postmortem"' in page and ROOT_CAUSE in page
    assert "<h3>Root cause</h3>" in page

    atom = client.get("/history.atom").content.decode()
    rss = client.get("/history.rss").content.decode()
    assert "Postmortem: Checkout errors" in atom and "Postmortem: Checkout errors" in rss
    assert f"/incidents/{resolved.public_id}#postmortem" in atom
    assert ROOT_CAUSE in atom

    listed = client.get("/api/v2/incidents.json").json()["incidents"][0]
    assert listed["status"] == "postmortem"
    assert ROOT_CAUSE in listed["postmortem_body"]
    assert "<h3>" not in listed["postmortem_body"]  # text, as update bodies are
    assert listed["postmortem_published_at"] == "2026-10-22T09:00:00.000Z"
    assert listed["postmortem_body_last_updated_at"] == "2026-10-22T09:00:00.000Z"

    snapshot = render_snapshot(tmp_path / "site")

    def read(url: str) -> bytes:
        return snapshot.read(path_for_url(url))

    assert ROOT_CAUSE.encode() in read(f"/incidents/{resolved.public_id}")
    assert b"Postmortem: Checkout errors" in read("/history.atom")
    mirrored = json.loads(read("/api/v2/incidents.json"))["incidents"][0]
    assert mirrored == listed


def test_a_change_after_approval_needs_approval_again(
    resolved: Incident, template: TemplateVersion, actor: Actor, legal: User, support: User,
    client: Client,
) -> None:  # fmt: skip
    body = written(resolved, template)
    first = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=body, template_version=template
    )
    approve_both(first, legal, support)
    lifecycle.postmortem_publish(actor=actor, postmortem=first.postmortem)
    second = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=body + "\n\nAlso: alerts on pool size.",
        template_version=template,
    )  # fmt: skip

    with pytest.raises(ValidationError, match="approvals"):
        lifecycle.postmortem_publish(actor=actor, postmortem=second.postmortem)
    with pytest.raises(ValidationError, match="newer revision"):
        lifecycle.postmortem_approve(actor=actor_of(legal), revision=first)
    page = client.get(f"/incidents/{resolved.public_id}").content.decode()
    assert "alerts on pool size" not in page  # the approved words stay public meanwhile

    approve_both(second, legal, support)
    later = datetime(2026, 10, 23, 10, 30, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        lifecycle.postmortem_publish(actor=actor, postmortem=second.postmortem)
    listed = client.get("/api/v2/incidents.json").json()["incidents"][0]
    assert "alerts on pool size" in listed["postmortem_body"]
    assert listed["postmortem_body_last_updated_at"] == "2026-10-23T10:30:00.000Z"
    assert listed["postmortem_published_at"] != listed["postmortem_body_last_updated_at"]


def test_nobody_approves_their_own_words_or_twice_or_without_the_role(
    resolved: Incident, template: TemplateVersion, actor: Actor, legal: User, responder: User
) -> None:
    revision = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=written(resolved, template), template_version=template
    )
    with pytest.raises(PermissionError):
        lifecycle.postmortem_approve(actor=actor_of(responder), revision=revision)
    lifecycle.postmortem_approve(actor=actor_of(legal), revision=revision)
    with pytest.raises(ValidationError, match="already approved"):
        lifecycle.postmortem_approve(actor=actor_of(legal), revision=revision)
    legal.groups.add(*responder.groups.all())
    legal_writer = actor_of(User.objects.get(pk=legal.pk))  # permissions read afresh
    own = lifecycle.postmortem_save(
        actor=legal_writer, incident=resolved, body=written(resolved, template),
        template_version=template,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="own words"):
        lifecycle.postmortem_approve(actor=legal_writer, revision=own)


def test_refused_words(resolved: Incident, template: TemplateVersion, actor: Actor) -> None:
    body = written(resolved, template)

    def refusal(text: str) -> str:
        with pytest.raises(ValidationError) as caught:
            lifecycle.postmortem_save(
                actor=actor, incident=resolved, body=text, template_version=template
            )
        return " ".join(caught.value.message_dict["body"])

    assert "control character" in refusal(body + "\x07")
    assert "bidirectional" in refusal(body + "\u202e")
    assert f"at most {MAX_CHARS} characters" in refusal(body + "x" * 1_000_000)
    assert "missing: “root cause”" in refusal(body.replace("### Root cause", "Cause:"))
    never = body.replace(CHANGE, "This will never happen again.")
    with pytest.raises(wording.WordingRefused):
        lifecycle.postmortem_save(
            actor=actor, incident=resolved, body=never, template_version=template
        )
    assert not PostmortemRevision.objects.exists()


def test_only_a_resolved_incident_gets_one(actor: Actor, template: TemplateVersion) -> None:
    incident = lifecycle.incident_open(actor=actor, name="Slow", body=promised("Looking."))
    with pytest.raises(ValidationError, match="resolved"):
        lifecycle.postmortem_save(
            actor=actor, incident=incident, body="### Summary", template_version=template
        )


def test_the_page_and_snapshot_render_whatever_is_stored(
    resolved: Incident, template: TemplateVersion, actor: Actor, legal: User, support: User,
    client: Client, tmp_path: Path,
) -> None:  # fmt: skip
    revision = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=written(resolved, template), template_version=template
    )
    approve_both(revision, legal, support)
    postmortem = lifecycle.postmortem_publish(actor=actor, postmortem=revision.postmortem)
    # Written by hand, past every check: a control character and a bidi override.
    type(postmortem).objects.filter(pk=postmortem.pk).update(
        published_body="bad \x07 \u202e", published_body_html="<p>bad \x07 \u202e</p>"
    )
    assert client.get(f"/incidents/{resolved.public_id}").status_code == 200
    assert client.get("/history.atom").status_code == 200
    assert client.get("/api/v2/incidents.json").status_code == 200
    render_snapshot(tmp_path / "site")


def test_a_postmortem_template_is_checked_as_postmortems_are(admin: User) -> None:
    """Longer than an update may be, fine; a promise never to fail again, refused."""
    long_section = "### Summary\n\n" + "Words about the incident. " * 120  # > 2000 characters
    version = approvals.template_version_submit(
        actor=actor_of(admin), name="Long postmortem", phase="postmortem", body=long_section
    )
    assert len(version.body) > 2000
    with pytest.raises(wording.WordingRefused):
        approvals.template_version_submit(
            actor=actor_of(admin), name="Bad", phase="postmortem",
            body="### What we change\n\nIt will never happen again.",
        )  # fmt: skip


def test_a_rejected_revision_is_never_approved_and_a_new_one_starts_afresh(
    resolved: Incident, template: TemplateVersion, actor: Actor, legal: User, support: User
) -> None:
    body = written(resolved, template)
    first = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=body, template_version=template
    )
    lifecycle.postmortem_approve(actor=actor_of(legal), revision=first)
    with pytest.raises(ValidationError, match="Say why"):
        lifecycle.postmortem_reject(actor=actor_of(support), revision=first, reason="  ")
    lifecycle.postmortem_reject(
        actor=actor_of(support), revision=first, reason="Say what customers saw."
    )
    assert not lifecycle.revision_approved(first)
    with pytest.raises(ValidationError, match="rejected"):
        lifecycle.postmortem_approve(actor=actor_of(support), revision=first)
    with pytest.raises(ValidationError, match="approvals"):
        lifecycle.postmortem_publish(actor=actor, postmortem=first.postmortem)
    assert AuditEvent.objects.filter(action=AuditAction.POSTMORTEM_REJECTED).count() == 1

    second = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=body + "\n\nCheckout failed for 40 minutes.",
        template_version=template,
    )  # fmt: skip
    approve_both(second, legal, support)
    with pytest.raises(ValidationError, match="already approved"):
        lifecycle.postmortem_reject(actor=actor_of(legal), revision=second, reason="No.")
    lifecycle.postmortem_publish(actor=actor, postmortem=second.postmortem)


def test_a_postmortem_published_after_a_reading_of_every_notice_is_signed_by_the_next(
    resolved: Incident,
    template: TemplateVersion,
    actor: Actor,
    legal: User,
    support: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The publisher reads only the notices of what changed since it last read them all
    (publish/notices.py): a postmortem is read with its incident."""
    from incidents import signing
    from incidents.models import SignedNotice
    from incidents.publish.notices import notices_sign_changed

    notices_sign_changed()  # every notice read once
    asked: list[dict[str, object]] = []
    real = signing.notices_sign_pending

    def recording(**only: object) -> int:
        asked.append(only)
        return real(**only)  # type: ignore[arg-type]

    monkeypatch.setattr(signing, "notices_sign_pending", recording)
    revision = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=written(resolved, template), template_version=template
    )
    approve_both(revision, legal, support)
    lifecycle.postmortem_publish(actor=actor, postmortem=revision.postmortem)
    assert notices_sign_changed() == 1
    assert asked == [{"incidents": {resolved.public_id}, "maintenance": set()}]
    assert SignedNotice.objects.filter(kind=signing.POSTMORTEM).count() == 1


def test_a_published_postmortem_is_a_signed_notice_anyone_can_verify(
    resolved: Incident, template: TemplateVersion, actor: Actor, legal: User, support: User
) -> None:
    import base64

    from incidents import signing
    from incidents.models import SignedNotice

    revision = lifecycle.postmortem_save(
        actor=actor, incident=resolved, body=written(resolved, template), template_version=template
    )
    approve_both(revision, legal, support)
    lifecycle.postmortem_publish(actor=actor, postmortem=revision.postmortem)
    signing.notices_sign_pending()

    notice = SignedNotice.objects.get(kind=signing.POSTMORTEM)
    payload, signature = notice.payload.encode(), base64.b64decode(notice.signature)
    verdict = signing.verify(payload, signature)
    assert verdict.genuine, verdict.reason
    assert verdict.notice is not None and ROOT_CAUSE in verdict.notice["body"]
    assert verdict.notice["url"].endswith(f"/incidents/{resolved.public_id}#postmortem")
    tampered = payload.replace(b"canary", b"review")
    assert tampered != payload and not signing.verify(tampered, signature).genuine
    assert signing.notices_sign_pending() == 0  # signed once as it reads
