"""Posting without the app (publish/oob_post.py) and reconciling exactly once
(publish/oob_reconcile.py): the CLI runs as a process of its own with no database setting
that works, against a real local mirror and moto's S3 server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from incidents import lifecycle, roles, signing
from incidents.audit import Actor
from incidents.models import (
    AuditAction,
    AuditEvent,
    ComponentStatusChange,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    OutOfBandUpdate,
    TemplateVersion,
)
from incidents.publish import service
from incidents.publish.manifest import disk_path
from incidents.publish.oob_format import BUNDLE_PATH, UPDATES_DIR
from incidents.publish.oob_reconcile import reconcile
from incidents.publish.renders import render_next
from incidents.publish.targets import configured_targets
from incidents.publish.targets.local import LocalTarget
from incidents.wording import approvals
from tests.conftest import staff_user
from tests.factories import ComponentFactory, GroupFactory, promised
from tests.publish.conftest import SECRET, S3Server

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Site:
    incident: Incident
    key_file: Path
    mirror: Path
    bucket: str
    s3_url: str
    tmp: Path

    def monitoring_template(self) -> str:
        version = approvals.usable_versions("monitoring")[0]
        return version.template.public_id


@pytest.fixture
def site(
    settings: Any,
    tmp_path: Path,
    s3_server: S3Server,
    bucket: str,
    responder: User,
    django_capture_on_commit_callbacks: Any,
) -> Site:
    return site_build(
        settings, tmp_path, s3_server, bucket, responder, django_capture_on_commit_callbacks
    )


def site_build(
    settings: Any,
    tmp_path: Path,
    s3_server: S3Server | None,
    bucket: str,
    responder: User,
    capture: Any,
) -> Site:
    """Publishing to a mirror and a bucket, an open incident published, and an
    out-of-band key issued to the responder (the approved templates are in every test
    database: tests/conftest.py)."""
    settings.CANDOR_PUBLISH_TARGETS = ["local", "s3"] if s3_server else ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.VAR_DIR = tmp_path / "var"
    settings.CANDOR_S3_BUCKET = bucket
    settings.CANDOR_S3_ENDPOINT_URL = s3_server.url if s3_server else ""
    settings.CANDOR_S3_REGION = "us-east-1"
    settings.CANDOR_S3_ACCESS_KEY_ID = "candor"
    settings.CANDOR_S3_SECRET_ACCESS_KEY = SECRET
    settings.CANDOR_S3_ADDRESSING = "path"
    with capture(execute=True):
        incident = lifecycle.incident_open(
            actor=Actor.staff(responder, channel="console"),
            name="Checkout errors",
            body=promised("We are investigating failed payments."),
            components={ComponentFactory(name="Checkout"): "major_outage"},
        )
    key_file = tmp_path / "laptop" / "responder.oob.json"
    key_file.parent.mkdir()
    with capture(execute=True):
        call_command("signing_key", "oob-issue", "--user", responder.username, "--out", key_file)
    s3_url = s3_server.url if s3_server else ""
    return Site(incident, key_file, tmp_path / "mirror", bucket, s3_url, tmp_path)


def run_cli(site: Site, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The CLI as the on-call person runs it: its own process, the production settings,
    a database URL that reaches nothing and no Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE", "REDIS", "CELERY", "PYTEST", "DJANGO"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/unreachable",
        CANDOR_VAR_DIR=str(site.tmp / "laptop" / "var"),
        CANDOR_CANONICAL_URL=django_settings.CANDOR_CANONICAL_URL,
        CANDOR_PUBLISH_TARGETS="local,s3" if site.bucket else "local",
        CANDOR_MIRROR_DIR=str(site.mirror),
    )
    if site.bucket:
        env.update(
            CANDOR_S3_BUCKET=site.bucket,
            CANDOR_S3_ENDPOINT_URL=site.s3_url,
            CANDOR_S3_REGION="us-east-1",
            CANDOR_S3_ACCESS_KEY_ID="candor",
            CANDOR_S3_SECRET_ACCESS_KEY=SECRET,
            CANDOR_S3_ADDRESSING="path",
        )
    return subprocess.run(
        [sys.executable, "manage.py", "post_out_of_band", "--key-file", str(site.key_file), *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def s3_body(site: Site, key: str) -> bytes:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=site.s3_url,
        region_name="us-east-1",
        aws_access_key_id="candor",
        aws_secret_access_key=SECRET,
    )
    return bytes(client.get_object(Bucket=site.bucket, Key=key)["Body"].read())


def mirror_file(site: Site, path: str) -> bytes:
    return (site.mirror / "current" / path).read_bytes()


def post_monitoring(site: Site) -> subprocess.CompletedProcess[str]:
    return run_cli(
        site,
        "--incident", site.incident.public_id,
        "--status", "monitoring",
        "--template", site.monitoring_template(),
        "--yes",
    )  # fmt: skip


# -- the CLI ---------------------------------------------------------------------------------


def test_the_cli_posts_to_the_mirror_and_the_bucket_with_no_database(site: Site) -> None:
    done = post_monitoring(site)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "local: pushed" in done.stdout and f"s3:{site.bucket}: pushed" in done.stdout
    words = "A fix has been applied"  # the default monitoring template's words
    incident_page = f"incidents/{site.incident.public_id}"
    copies = [
        (lambda p: mirror_file(site, p), ".html"),  # a tree: pages as .html files
        (lambda p: s3_body(site, p), ""),  # a bucket: keys are the URL paths
    ]
    for read, html in copies:
        page = read(incident_page + html).decode()
        assert words in page and "data-incident-status>Monitoring</span>" in page
        summary = json.loads(read("api/v2/summary.json"))
        [active] = summary["incidents"]
        assert active["status"] == "monitoring"
        assert words in active["incident_updates"][0]["body"]
        assert words in read("index.html").decode()
        assert words in read("history.atom").decode()
    # The German copy of the page carries it too, with its own label for the status.
    assert words in mirror_file(site, f"de/incidents/{site.incident.public_id}.html").decode()
    records = [p for p in LocalTarget(site.mirror).current().files if p.startswith(UPDATES_DIR)]  # type: ignore[union-attr]
    assert len(records) == 2  # the record and its signature


def test_a_tampered_bundle_is_refused_and_nothing_is_pushed(site: Site) -> None:
    for tree in (site.mirror / "trees").iterdir():
        bundle = tree / BUNDLE_PATH
        if bundle.exists():
            bundle.write_bytes(bundle.read_bytes().replace(b"Checkout errors", b"Checkout errorz"))
    before = mirror_file(site, "manifest.json")
    # The mirror's bundle no longer matches its manifest; the bucket's copy is intact,
    # but a copy served by an attacker would be refused by its signature: make the bucket
    # serve the tampered bytes too, manifest and all, as someone with write access could.
    client = boto3.session.Session().client(
        "s3", endpoint_url=site.s3_url, region_name="us-east-1",
        aws_access_key_id="candor", aws_secret_access_key=SECRET,
    )  # fmt: skip
    tampered = s3_body(site, BUNDLE_PATH).replace(b"Checkout errors", b"Checkout errorz")
    client.put_object(Bucket=site.bucket, Key=BUNDLE_PATH, Body=tampered)
    manifest = json.loads(s3_body(site, "manifest.json"))
    manifest["files"][BUNDLE_PATH]["sha256"] = hashlib.sha256(tampered).hexdigest()
    manifest["files"][BUNDLE_PATH]["size"] = len(tampered)
    manifest["version"] += 1  # newest: the CLI reads it first
    client.put_object(Bucket=site.bucket, Key="manifest.json", Body=json.dumps(manifest).encode())
    done = post_monitoring(site)
    assert done.returncode == 2
    assert "the bundle: the signature does not match" in done.stderr
    assert mirror_file(site, "manifest.json") == before


def test_words_that_are_not_an_approved_template_are_refused(
    site: Site, responder: User, admin: User
) -> None:
    unapproved = approvals.template_version_submit(
        actor=Actor.staff(admin, channel="console"),
        name="Monitoring, shorter",
        phase="monitoring",
        body="A fix for {title} is in place. Next update by {next_update_at}.",
    )
    assert isinstance(unapproved, TemplateVersion)
    for template in (unapproved.template.public_id, "We fixed it, honest", "'; DROP TABLE"):
        done = run_cli(
            site, "--incident", site.incident.public_id, "--status", "monitoring",
            "--template", template, "--yes",
        )  # fmt: skip
        assert done.returncode == 2, done.stdout
        assert "is not an approved template for monitoring" in done.stderr
        assert "Free text cannot be posted out of band" in done.stderr


@pytest.mark.parametrize(
    "incident",
    ["", "../../etc/passwd", "x" * 5000, "\x1b[2J\u202e", "<script>alert(1)</script>", "zzzz"],
)
def test_hostile_incident_ids_are_refused_clearly(site: Site, incident: str) -> None:
    done = run_cli(
        site, "--incident", incident or " ", "--status", "monitoring",
        "--template", site.monitoring_template(), "--yes",
    )  # fmt: skip
    assert done.returncode == 2
    assert "no open incident has the id" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hostile_key_file_is_refused(site: Site) -> None:
    site.key_file.write_text('{"candor_out_of_band_key": 1, "site": 7}')
    done = post_monitoring(site)
    assert (
        done.returncode == 2 and "cannot be read" in done.stderr and "Traceback" not in done.stderr
    )


# -- reconciliation --------------------------------------------------------------------------


def test_reconciliation_records_the_update_once_with_its_trail(
    site: Site, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert post_monitoring(site).returncode == 0
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile()
    assert len(first.recorded) == 1 and not first.refused
    row = OutOfBandUpdate.objects.get()
    update = row.update
    assert update is not None and update.status == IncidentStatus.MONITORING
    assert row.posted_by == responder and update.created_at == row.posted_at
    site.incident.refresh_from_db()
    assert site.incident.status == IncidentStatus.MONITORING
    # The page already showed the update under this id: it keeps it.
    record = json.loads(row.record)
    assert update.public_id == record["update_id"]
    event = AuditEvent.objects.get(action=AuditAction.INCIDENT_OOB_RECONCILED)
    assert f"Posted out of band by {responder.username} at " in event.summary
    assert "reconciled at" in event.summary
    # Replayed (the beat task, a second command, both targets holding it): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile().recorded == []
        call_command("reconcile_out_of_band")
    assert IncidentUpdate.objects.filter(incident=site.incident).count() == 2
    # The app's own publish now renders it from the database: still on the page.
    page = mirror_file(site, f"incidents/{site.incident.public_id}.html").decode()
    assert "A fix has been applied" in page


def test_a_publish_before_reconciling_does_not_take_the_update_off_the_page(
    site: Site, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert post_monitoring(site).returncode == 0
    # The app comes back and something else changes before any reconciliation ran.
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=Actor.staff(responder, channel="console"),
            name="Slow search",
            body=promised("We are looking into slow searches."),
        )
    assert OutOfBandUpdate.objects.count() == 1
    service.publish_until_current()
    for page in (
        mirror_file(site, f"incidents/{site.incident.public_id}.html"),
        s3_body(site, f"incidents/{site.incident.public_id}"),
    ):
        assert "A fix has been applied" in page.decode()


def test_a_record_signed_by_a_revoked_key_is_refused(
    site: Site, django_capture_on_commit_callbacks: Any
) -> None:
    assert post_monitoring(site).returncode == 0
    key_id = json.loads(site.key_file.read_text())["key_id"]
    call_command("signing_key", "oob-revoke", key_id)
    result = reconcile()
    assert result.recorded == [] and len(result.refused) == 1
    assert "not a trusted key" in next(iter(result.refused.values()))
    assert OutOfBandUpdate.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_processes_reconciling_at_once_record_it_once(
    settings: Any, tmp_path: Path, s3_server: S3Server, bucket: str
) -> None:
    responder = staff_user("rita", roles.RESPONDER)
    site = site_build(settings, tmp_path, s3_server, bucket, responder, _Execute())
    assert post_monitoring(site).returncode == 0
    # Two app processes as two web nodes would be: the production settings on the test's
    # database, each publishing after it records (no Redis: the embedded broker).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE", "REDIS", "CELERY", "PYTEST", "DJANGO"))
    }
    db = connection.settings_dict
    env.update(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        CANDOR_SIGNING_KEY=django_settings.CANDOR_SIGNING_KEY,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CANDOR_VAR_DIR=str(tmp_path / "var-reconcilers"),
        CANDOR_PUBLISH_TARGETS="local,s3",
        CANDOR_MIRROR_DIR=str(site.mirror),
        CANDOR_S3_BUCKET=site.bucket,
        CANDOR_S3_ENDPOINT_URL=site.s3_url,
        CANDOR_S3_ACCESS_KEY_ID="candor",
        CANDOR_S3_SECRET_ACCESS_KEY=SECRET,
        CANDOR_S3_ADDRESSING="path",
        CANDOR_CANONICAL_URL=django_settings.CANDOR_CANONICAL_URL,
    )
    reconcilers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "reconcile_out_of_band"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=120) for r in reconcilers]
    assert [r.returncode for r in reconcilers] == [0, 0], outputs
    recorded = sum(out.count("recorded oob-") for out, _ in outputs)
    assert recorded == 1, outputs
    assert OutOfBandUpdate.objects.count() == 1
    assert IncidentUpdate.objects.filter(incident=site.incident, status="monitoring").count() == 1


class _Execute:
    """django_capture_on_commit_callbacks's stand-in in a transactional test: on-commit
    callbacks run at the commit there."""

    def __call__(self, execute: bool = False) -> Any:
        from contextlib import nullcontext

        return nullcontext()


def test_a_second_update_builds_on_the_first_and_both_reconcile_in_order(
    site: Site, django_capture_on_commit_callbacks: Any
) -> None:
    assert post_monitoring(site).returncode == 0
    resolved = approvals.usable_versions("resolved")[0].template.public_id
    done = run_cli(
        site, "--incident", site.incident.public_id, "--status", "resolved",
        "--template", resolved, "--yes",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = mirror_file(site, f"incidents/{site.incident.public_id}.html").decode()
    assert "A fix has been applied" in page and "has been resolved" in page
    assert "data-incident-status>Resolved</span>" in page and "Not yet resolved" not in page
    front = mirror_file(site, "index.html").decode()
    assert f"incident-{site.incident.public_id}" not in front  # no longer active
    assert json.loads(mirror_file(site, "api/v2/incidents/unresolved.json"))["incidents"] == []
    with django_capture_on_commit_callbacks(execute=True):
        result = reconcile()
    assert len(result.recorded) == 2 and not result.refused
    site.incident.refresh_from_db()
    assert site.incident.status == IncidentStatus.RESOLVED
    statuses = list(
        site.incident.updates.order_by("display_at", "pk").values_list("status", flat=True)
    )
    assert statuses == ["investigating", "monitoring", "resolved"]
    # Once resolved in the database, the published copy says so from the app's render.
    assert f"incident-{site.incident.public_id}" not in mirror_file(site, "index.html").decode()


def test_an_out_of_band_key_cannot_sign_a_notice(site: Site) -> None:
    key_file = json.loads(site.key_file.read_text())
    private = signing.private_from_pem(key_file["private_key_pem"].encode())
    payload = signing.canonical(
        {
            "v": 1, "kind": "incident_update", "site": django_settings.CANDOR_CANONICAL_URL,
            "url": "x", "subject": site.incident.public_id, "id": "forged", "title": "t",
            "status": "resolved", "body": "All good.", "published_at": "2026-01-01T00:00:00Z",
            "key": key_file["key_id"], "signed_at": "2026-01-01T00:00:00Z",
        }
    )  # fmt: skip
    verdict = signing.verify(payload, private.sign(payload))
    assert not verdict.genuine and verdict.reason == "signed with a key that is not ours"
    document = signing.keys_document()
    assert key_file["key_id"] not in {k["id"] for k in document["keys"]}
    assert key_file["key_id"] in {k["id"] for k in document["out_of_band_keys"]}


def test_an_update_the_app_overtook_is_recorded_once_with_its_reason(
    site: Site, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert post_monitoring(site).returncode == 0
    # The console came back first and someone posted there before anything reconciled:
    # that publish reconciles first, and the app's later words win.
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_post(
            actor=Actor.staff(responder, channel="console"),
            incident=site.incident,
            body=promised("We found the cause: a bad deploy, rolled back."),
            status="identified",
            now=timezone.now() + timedelta(seconds=5),
        )
    row = OutOfBandUpdate.objects.get()
    assert row.update is None and "the app posted later" in row.refused
    event = AuditEvent.objects.get(action=AuditAction.INCIDENT_OOB_RECONCILED)
    assert "not taken" in event.summary
    assert reconcile().recorded == []  # once: not retried for ever
    page = mirror_file(site, f"incidents/{site.incident.public_id}.html").decode()
    assert "bad deploy" in page


def test_a_render_made_before_the_update_is_held_not_pushed_over_it(
    site: Site, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    # The app changed something and began to render it before the laptop pushed...
    lifecycle.incident_open(
        actor=Actor.staff(responder, channel="console"),
        name="Slow search",
        body=promised("We are looking into slow searches."),
    )
    older = render_next()
    # ...then the laptop pushed, and only then did that render's push come.
    assert post_monitoring(site).returncode == 0
    with django_capture_on_commit_callbacks(execute=True):
        held = [service._push(t, older, force=False) for t in configured_targets()]
    # Neither copy: the first push recorded the update, the second sees it recorded.
    assert [r.outcome for r in held] == [service.HELD, service.HELD]
    assert OutOfBandUpdate.objects.count() == 1
    service.publish_until_current()
    for page in (
        mirror_file(site, f"incidents/{site.incident.public_id}.html"),
        s3_body(site, f"incidents/{site.incident.public_id}"),
    ):
        assert "A fix has been applied" in page.decode()


def test_the_cli_asks_shows_the_words_and_pushes_nothing_unless_told(site: Site) -> None:
    answers = f"{site.incident.public_id[:5]}\nmonitoring\n{site.monitoring_template()}\n"
    before = mirror_file(site, "manifest.json")
    declined = run_cli(site, stdin=answers + "n\n")
    assert declined.returncode == 2 and "nothing was posted" in declined.stderr
    assert "Checkout errors" in declined.stdout  # the open incidents were listed
    assert "A fix has been applied" in declined.stdout  # the words, shown before asking
    assert mirror_file(site, "manifest.json") == before
    accepted = run_cli(site, stdin=answers + "y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert (
        "A fix has been applied"
        in mirror_file(site, f"incidents/{site.incident.public_id}.html").decode()
    )


# -- the page's status -----------------------------------------------------------------------


def post_resolved(site: Site) -> subprocess.CompletedProcess[str]:
    resolved = approvals.usable_versions("resolved")[0].template.public_id
    return run_cli(
        site, "--incident", site.incident.public_id, "--status", "resolved",
        "--template", resolved, "--yes",
    )  # fmt: skip


def component_in(document: dict[str, Any], public_id: str) -> dict[str, Any]:
    [found] = [c for c in document["components"] if c["id"] == public_id]
    return found


def front_parts(front: str, component_id: str) -> tuple[str, str, str]:
    """The banner, the component's row head and the header's mark of a front page."""
    banner = re.search(r'<section class="banner.*?</section>', front, re.DOTALL)
    row = re.search(rf'<li class="component" data-component="{component_id}">.*?</div>', front)
    mark = re.search(r'<span class="brand__mark.*?</span>', front, re.DOTALL)
    assert banner and row and mark, front
    return banner.group(0), row.group(0), mark.group(0)


def group_head(front: str, group_id: str) -> str:
    head = re.search(rf'<li class="group" data-group="{group_id}">.*?</summary>', front, re.DOTALL)
    assert head, front
    return head.group(0)


def test_resolving_out_of_band_frees_its_components_and_the_page_says_so(
    site: Site, django_capture_on_commit_callbacks: Any
) -> None:
    checkout = site.incident.components.get()
    assert json.loads(mirror_file(site, "api/v2/status.json"))["status"]["indicator"] == "critical"
    # Monitoring keeps the components where the incident holds them, as in the app.
    assert post_monitoring(site).returncode == 0
    assert json.loads(mirror_file(site, "api/v2/status.json"))["status"]["indicator"] == "critical"
    assert 'status--major_outage">Major outage<' in mirror_file(site, "index.html").decode()
    done = post_resolved(site)
    assert done.returncode == 0, done.stderr
    for read, html in (
        (lambda p: mirror_file(site, p), ".html"),
        (lambda p: s3_body(site, p), ""),
    ):
        assert json.loads(read("api/v2/status.json"))["status"] == {
            "indicator": "none",
            "description": "All Systems Operational",
        }
        summary = json.loads(read("api/v2/summary.json"))
        assert summary["status"]["indicator"] == "none"
        assert component_in(summary, checkout.public_id)["status"] == "operational"
        components = json.loads(read("api/v2/components.json"))
        assert component_in(components, checkout.public_id)["status"] == "operational"
        banner, row, mark = front_parts(read("index.html").decode(), checkout.public_id)
        assert "All Systems Operational" in banner and "banner--none" in banner
        assert 'status--operational">Operational<' in row
        assert "brand__mark--none" in mark
        # Every page's header says it too.
        history = read("history" + html).decode()
        assert "brand__mark--none" in history and "brand__mark--critical" not in history
        assert "data-brand-status>: All Systems Operational<" in history
    german = mirror_file(site, disk_path("de/", "text/html")).decode()
    assert "status--major_outage" not in german and "banner--none" in german
    cli_front = front_parts(mirror_file(site, "index.html").decode(), checkout.public_id)
    cli_status = json.loads(mirror_file(site, "api/v2/status.json"))["status"]
    # Reconciliation resolves it through lifecycle, which derives the statuses itself:
    # once, and the app's own render then says exactly what the CLI wrote.
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reconcile().recorded) == 2
    checkout.refresh_from_db()
    assert checkout.status == "operational"
    history = ComponentStatusChange.objects.filter(component=checkout).order_by("at", "pk")
    # Created, held by the incident, freed once: no second change from the replay.
    assert list(history.values_list("status", flat=True)) == [
        "operational", "major_outage", "operational",
    ]  # fmt: skip
    service.publish_until_current()
    assert front_parts(mirror_file(site, "index.html").decode(), checkout.public_id) == cli_front
    assert json.loads(mirror_file(site, "api/v2/status.json"))["status"] == cli_status


def test_a_component_another_open_incident_holds_stays_at_its_level(
    site: Site, responder: User, django_capture_on_commit_callbacks: Any
) -> None:
    checkout = site.incident.components.get()
    # In a group with a component shown only when degraded, which the resolved incident
    # alone holds down: its row leaves the page, the group keeps Checkout's status.
    payments = GroupFactory(name="Payments")
    checkout.group = payments
    checkout.save()
    refunds = ComponentFactory(name="Refunds", group=payments, only_show_if_degraded=True)
    actor = Actor.staff(responder, channel="console")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_post(
            actor=actor,
            incident=site.incident,
            body=promised("We found the cause: a bad deploy, rolled back."),
            status="identified",
            components={refunds: "degraded_performance"},
        )
        lifecycle.incident_open(
            actor=actor,
            name="Slow card payments",
            body=promised("We are investigating slow card payments."),
            components={checkout: "partial_outage"},
        )
    before = mirror_file(site, "index.html").decode()
    assert f'data-component="{refunds.public_id}"' in before
    done = post_resolved(site)
    assert done.returncode == 0, done.stderr
    summary = json.loads(mirror_file(site, "api/v2/summary.json"))
    assert component_in(summary, checkout.public_id)["status"] == "partial_outage"
    assert (
        component_in(json.loads(mirror_file(site, "api/v2/components.json")), checkout.public_id)[
            "status"
        ]
        == "partial_outage"
    )
    status = json.loads(mirror_file(site, "api/v2/status.json"))["status"]
    assert status["indicator"] in ("major", "critical")  # partial outage, or the impact
    banner, row, _ = front_parts(mirror_file(site, "index.html").decode(), checkout.public_id)
    assert 'status--partial_outage">Partial outage<' in row
    front = mirror_file(site, "index.html").decode()
    assert f'data-component="{refunds.public_id}"' not in front
    assert component_in(summary, refunds.public_id)["status"] == "operational"
    group = group_head(front, payments.public_id)
    assert "<details open>" in group and 'status--partial_outage">Partial outage<' in group
    cli = (banner, row, status, group)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reconcile().recorded) == 1
    checkout.refresh_from_db()
    assert checkout.status == "partial_outage"
    service.publish_until_current()
    app_banner, app_row, _ = front_parts(
        mirror_file(site, "index.html").decode(), checkout.public_id
    )
    app_status = json.loads(mirror_file(site, "api/v2/status.json"))["status"]
    app_front = mirror_file(site, "index.html").decode()
    app_group = group_head(app_front, payments.public_id)
    assert (app_banner, app_row, app_status, app_group) == cli
    assert f'data-component="{refunds.public_id}"' not in app_front
