"""A rule change's dry run: before an Admin saves a new version, the console shows what it
would have flagged in the last 90 days of published updates and approved templates."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.audit import Actor
from incidents.models import Incident, IncidentUpdate, WordingRule
from incidents.wording import approvals
from incidents.wording import dry_run as wording_dry_run

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

HYPE = {
    "key": "hype", "kind": "banned_phrase", "pattern": "amazing", "channel": "all",
    "scope": "all", "reason": "Hype is not information.", "active": "on",
}  # fmt: skip


def _published(body: str, *, days_ago: int = 0) -> IncidentUpdate:
    """An update as published once (the policy then may have been another: written
    straight to the table, as history is)."""
    incident = Incident.objects.get(name="Payments")  # the `payments` fixture's
    moment = timezone.now() - timedelta(days=days_ago)
    return IncidentUpdate.objects.create(
        incident=incident, status="investigating", body=body, body_html=body,
        created_at=moment, display_at=moment,
    )  # fmt: skip


def _console(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _preview_digest(html: str) -> str:
    match = re.search(r'name="previewed" value="([0-9a-f]{64})"', html)
    assert match, "the dry run hands the form back with the digest it ran for"
    return match.group(1)


def test_the_dry_run_shows_recent_updates_the_new_version_would_flag_and_saves_nothing(
    admin: Any, payments: Incident
) -> None:
    _published("An amazing recovery is under way. Next update by 10:00 UTC.")
    _published("An amazing fix, long ago. Next update by 10:00 UTC.", days_ago=120)
    versions = WordingRule.objects.count()

    response = _console(admin).post(reverse("console:policy"), {**HYPE, "preview": "1"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "An amazing recovery is under way" in html
    assert "newly flagged" in html
    assert "An amazing fix, long ago" not in html  # older than 90 days
    assert WordingRule.objects.count() == versions


def test_saving_needs_the_dry_run_of_exactly_the_fields_saved(admin: Any) -> None:
    console = _console(admin)
    html = console.post(reverse("console:policy"), {**HYPE, "preview": "1"}).content.decode()
    digest = _preview_digest(html)

    changed = {**HYPE, "pattern": "amazing\nawesome", "previewed": digest, "save": "1"}
    response = console.post(reverse("console:policy"), changed)
    assert response.status_code == 200  # dry-run again, not saved
    assert not WordingRule.objects.filter(key="hype").exists()

    response = console.post(reverse("console:policy"), {**HYPE, "previewed": digest, "save": "1"})
    assert response.status_code == 302
    assert WordingRule.objects.get(key="hype").pattern == "amazing"


def test_a_forged_digest_saves_nothing(admin: Any) -> None:
    response = _console(admin).post(
        reverse("console:policy"), {**HYPE, "previewed": "0" * 64, "save": "1"}
    )
    assert response.status_code == 200
    assert not WordingRule.objects.filter(key="hype").exists()


def test_a_broken_rule_gets_a_form_error_not_a_dry_run(admin: Any) -> None:
    bad = {**HYPE, "kind": "banned_pattern", "pattern": "(", "preview": "1"}
    response = _console(admin).post(reverse("console:policy"), bad)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not a valid pattern" in html
    assert 'id="dry-run"' not in html


def test_the_dry_run_covers_approved_templates_and_what_would_no_longer_be_flagged(
    admin: Any, payments: Incident
) -> None:
    actor = Actor.staff(admin, channel="console")
    # The seeded investigating template says "Next update by {next_update_at}": a rule
    # banning "next update" would flag it.
    candidate = approvals.rule_candidate(
        actor=actor, key="no-next", kind="banned_phrase", pattern="next update", reason="x"
    )
    run = wording_dry_run.dry_run(candidate)
    assert any(hit.sample.source.startswith("Template") for hit in run.would_flag)

    # Retiring the vendor-blame rule: a published update that blamed a vendor is no longer
    # flagged.
    _published("Errors because of AWS. Next update by 10:00 UTC.")
    retired = approvals.rule_candidate(
        actor=actor, key="vendor-blame", kind="vendor_blame", pattern="aws", reason="x",
        active=False,
    )  # fmt: skip
    run = wording_dry_run.dry_run(retired)
    assert [s.text for s in run.would_stop_flagging] == [
        "Errors because of AWS. Next update by 10:00 UTC."
    ]


def test_only_an_admin_may_dry_run(responder: Any) -> None:
    response = _console(responder).post(reverse("console:policy"), {**HYPE, "preview": "1"})
    assert response.status_code == 403
    assert not WordingRule.objects.filter(key="hype").exists()
