"""Incremental publishing: a change renders only the pages it reaches, the rest of the
snapshot is the previous render's files, and the result is the full render, byte for byte.

Time stands still in these tests (time_machine, tick=False): the full render compared
against must be made at the same instant, or every page's "generated" time would differ.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from incidents import lifecycle, roles, wording
from incidents.audit import Actor
from incidents.models import Component, Incident, IncidentUpdate, SiteChange
from incidents.publish import service
from incidents.publish.manifest import MANIFEST_NAME, Manifest, Snapshot, disk_path, sha256_of
from incidents.publish.renders import current_base, render_next
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets import configured_targets
from incidents.publish.targets.local import LocalTarget
from incidents.publish.targets.s3 import SIGNATURE_NAME
from incidents.tasks import publish_full
from incidents.wording import approvals
from incidents.wording.translation_approvals import translation_approve, translation_submit
from incidents.wording.translations import translations_forget
from tests.conftest import staff_user
from tests.factories import ComponentFactory, promised
from tests.publish.conftest import S3Server
from tests.publish.test_s3_target import record_calls

ACTOR = Actor.system("test")


@pytest.fixture
def frozen() -> Iterator[datetime]:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        yield now


@pytest.fixture
def site(db: None, frozen: datetime, mirror: Path) -> dict[str, Any]:
    """Incidents and maintenance windows over four months, open and resolved."""
    now = frozen
    api = ComponentFactory(name="Public API", position=1)
    db_component = ComponentFactory(name="Database", position=2)
    ComponentFactory(name="Dashboard", position=3)
    made: dict[str, Any] = {"api": api, "db": db_component}
    for n, days in enumerate((100, 70, 40, 10)):
        opened = now - timedelta(days=days)
        incident = lifecycle.incident_open(
            actor=ACTOR, name=f"Incident {n}",
            body=promised("Investigating.", now=opened),
            impact="minor",
            components={api: "degraded_performance"}, now=opened,
        )  # fmt: skip
        if n == 3:  # the others stay open, to take updates months on
            lifecycle.incident_resolve(
                actor=ACTOR, incident=incident, body="Fixed.", now=opened + timedelta(hours=1)
            )
        made[f"old{n}"] = incident
    made["open"] = lifecycle.incident_open(
        actor=ACTOR, name="Elevated error rates",
        body=promised("We are **investigating**.", now=now - timedelta(minutes=30)),
        impact="major", components={db_component: "partial_outage"},
        now=now - timedelta(minutes=30),
    )  # fmt: skip
    made["past_window"] = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Past upgrade", body="Upgrading.",
        scheduled_for=now - timedelta(days=50), scheduled_until=now - timedelta(days=50, hours=-1),
        components=[db_component], now=now - timedelta(days=55),
    )  # fmt: skip
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=made["past_window"], status="completed", body="Done.",
        now=now - timedelta(days=50, hours=-1),
    )  # fmt: skip
    made["window"] = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Database upgrade", body="Upgrading PostgreSQL.",
        scheduled_for=now + timedelta(days=2), scheduled_until=now + timedelta(days=2, hours=1),
        components=[db_component],
    )  # fmt: skip
    return made


def _read(snapshot: Snapshot, path: str) -> bytes:
    return snapshot.read(path)


def _rendered_afresh(base: Snapshot, new: Snapshot) -> set[str]:
    """Paths `new` rendered: storing a body writes (or touches) its object, reusing the
    base's entry touches nothing, so their objects are newer than the base's manifest."""
    finished = (base.root / MANIFEST_NAME).stat().st_mtime_ns
    return {path for path in new.manifest.files if new.file(path).stat().st_mtime_ns > finished}


# "Page generated" in any language (Seite erstellt, ...): the sentence, not its words.
_GENERATED = re.compile(rb'<p class="updated">[^<]*<time [^>]*>[^<]*</time></p>')


def _assert_same_but_when_generated(assembled: Snapshot, full: Snapshot) -> None:
    """The same site but for the time each page says it was generated: a page reused from
    an earlier render says when that render made it."""
    assert set(assembled.manifest.files) == set(full.manifest.files)
    for path in full.manifest.files:
        mine, theirs = _read(assembled, path), _read(full, path)
        assert _GENERATED.sub(b"", mine) == _GENERATED.sub(b"", theirs), path


def _assert_same_site(assembled: Snapshot, full: Snapshot) -> None:
    assert assembled.manifest.version == full.manifest.version
    assert assembled.manifest.files == full.manifest.files
    for path in full.manifest.files:
        assert _read(assembled, path) == _read(full, path), path


CHANGES: dict[str, Callable[[dict[str, Any], datetime], object]] = {
    "an update to the open incident": lambda s, now: lifecycle.update_post(
        actor=ACTOR,
        incident=s["open"],
        body=promised("Cause found.", now=now),
        status="identified",
        now=now,
    ),
    "an update to an incident months old": lambda s, now: lifecycle.update_post(
        actor=ACTOR,
        incident=s["old0"],
        body=promised("Fixed too.", now=now),
        status="monitoring",
        now=now,
    ),
    "resolving the open incident (the header's status changes)": lambda s, now: (
        lifecycle.incident_resolve(actor=ACTOR, incident=s["open"], body="Fixed.", now=now)
    ),
    "a new incident": lambda s, now: lifecycle.incident_open(
        actor=ACTOR,
        name="Slow dashboard",
        body=promised("Investigating.", now=now),
        impact="minor",
        now=now,
    ),
    "a maintenance update": lambda s, now: lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=s["window"], status="scheduled", body="Now scheduled.", now=now
    ),
    "a component's status": lambda s, now: lifecycle.component_status_set(
        actor=ACTOR, component=s["api"], status="degraded_performance", now=now
    ),
    "a component renamed": lambda s, now: lifecycle.component_save(
        actor=ACTOR, component=s["api"], name="Public REST API", position=1, now=now
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_render_is_the_full_render_byte_for_byte(
    change: str, site: dict[str, Any], frozen: datetime, tmp_path: Path
) -> None:
    base = render_next(full=True)

    CHANGES[change](site, frozen)
    assembled = render_next()
    full = render_snapshot(tmp_path / "full")

    _assert_same_site(assembled, full)
    assert assembled.manifest.version == base.manifest.version + 1


def test_approving_a_translation_renders_the_pages_of_the_words_it_translates(
    site: dict[str, Any], frozen: datetime, legal: User, support: User, tmp_path: Path
) -> None:
    version = approvals.usable_versions("investigating")[0]
    values = wording.values_for(
        title="Checkout errors", component_names=["Public API"], started_at=frozen,
        next_update_at=frozen + timedelta(minutes=10),
    )  # fmt: skip
    translated = lifecycle.incident_open(
        actor=ACTOR, name="Checkout errors", body=wording.render(version.body, values),
        components={site["api"]: "major_outage"}, now=frozen,
    )  # fmt: skip
    base = render_next(full=True)
    writer = staff_user("cole", roles.COMMUNICATOR)
    translation = translation_submit(
        actor=Actor.staff(writer, channel="console"), version=version, language="de",
        body="Wir untersuchen Probleme mit {components} seit {started_at}. "
        "Nächstes Update: {next_update_at}.",
    )  # fmt: skip
    for approver in (legal, support):
        translation_approve(actor=Actor.staff(approver, channel="console"), translation=translation)
    translations_forget()

    assembled = render_next()
    full = render_snapshot(tmp_path / "full")
    _assert_same_site(assembled, full)
    page = f"incidents/{translated.public_id}"
    assert "Wir untersuchen Probleme mit Public API" in _read(assembled, f"de/{page}").decode()
    assert "Wir untersuchen" not in _read(assembled, page).decode()
    fresh = _rendered_afresh(base, assembled)
    assert {page, f"de/{page}", f"fr/{page}"} <= fresh
    assert f"incidents/{site['old1'].public_id}" not in fresh  # other words: not rendered


def test_an_update_renders_its_incident_the_front_page_and_the_documents_only(
    site: dict[str, Any], frozen: datetime
) -> None:
    base = render_next(full=True)

    lifecycle.update_post(
        actor=ACTOR,
        incident=site["old1"],
        body=promised("Fixed too.", now=frozen),
        status="monitoring",
        now=frozen,
    )
    assembled = render_next()

    fresh = _rendered_afresh(base, assembled)
    month = site["old1"].started_at
    assert f"incidents/{site['old1'].public_id}" in fresh
    assert f"history/{month:%Y-%m}" in fresh
    assert {"index.html", "history.atom", "api/v2/summary.json"} <= fresh
    assert "history" not in fresh  # it shows the last three months only
    for other in ("old0", "old2", "old3", "open"):
        assert f"incidents/{site[other].public_id}" not in fresh
    assert f"maintenance/{site['window'].public_id}" not in fresh
    assert f"maintenance/{site['past_window'].public_id}" not in fresh


def test_a_component_badge_is_rendered_again_only_when_its_component_changed(
    site: dict[str, Any], frozen: datetime
) -> None:
    def badge(component: Component) -> str:
        return f"badges/{component.public_id}.svg"

    base = render_next(full=True)
    lifecycle.update_post(
        actor=ACTOR, incident=site["open"], body=promised("Cause found.", now=frozen),
        status="identified", now=frozen,
    )  # fmt: skip
    updated = render_next()
    fresh = _rendered_afresh(base, updated)
    assert "badge.svg" in fresh  # the page's overall status: every time
    assert not {p for p in fresh if p.startswith("badges/")}

    # A status below the page's worst: the header (the chrome) stays as it was.
    dashboard = Component.objects.get(name="Dashboard")
    lifecycle.component_status_set(
        actor=ACTOR, component=dashboard, status="degraded_performance", now=frozen
    )
    changed = render_next()
    assert {p for p in _rendered_afresh(updated, changed) if p.startswith("badges/")} == {
        badge(dashboard)
    }
    assert b"Degraded performance" in changed.read(badge(dashboard))
    assert changed.read(badge(site["api"])) == updated.read(badge(site["api"]))


def test_an_update_to_a_recent_incident_renders_the_history_page_too(
    site: dict[str, Any], frozen: datetime
) -> None:
    base = render_next(full=True)

    lifecycle.update_post(
        actor=ACTOR,
        incident=site["open"],
        body=promised("Cause found.", now=frozen),
        status="identified",
        now=frozen,
    )
    fresh = _rendered_afresh(base, render_next())

    assert {"history", f"history/{frozen:%Y-%m}", f"incidents/{site['open'].public_id}"} <= fresh


def test_a_new_month_renders_the_history_pages_that_link_to_it(
    site: dict[str, Any], frozen: datetime, tmp_path: Path
) -> None:
    render_next(full=True)
    first = (frozen.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=30)

    with time_machine.travel(first, tick=False):
        lifecycle.update_post(
            actor=ACTOR, incident=site["old0"], body=promised("Fixed too."), status="monitoring"
        )
        _assert_same_but_when_generated(render_next(), render_snapshot(tmp_path / "full"))


def test_changes_coalesced_into_one_publish_render_each_of_their_pages(
    site: dict[str, Any], frozen: datetime, tmp_path: Path
) -> None:
    render_next(full=True)
    for name in ("old0", "old2"):
        lifecycle.update_post(
            actor=ACTOR,
            incident=site[name],
            body=promised("Fixed.", now=frozen),
            status="monitoring",
            now=frozen,
        )
    lifecycle.maintenance_update_post(
        actor=ACTOR,
        maintenance=site["window"],
        status="scheduled",
        body="Now scheduled.",
        now=frozen,
    )

    _assert_same_site(render_next(), render_snapshot(tmp_path / "full"))


def test_a_change_that_says_nothing_of_its_scope_renders_everything(
    site: dict[str, Any], frozen: datetime
) -> None:
    base = render_next(full=True)
    lifecycle.update_post(
        actor=ACTOR,
        incident=site["old1"],
        body=promised("Fixed too.", now=frozen),
        status="monitoring",
        now=frozen,
    )
    # As a version counted before scopes were recorded, or whose record was lost.
    SiteChange.objects.all().delete()

    assembled = render_next()

    pages = {p for p in assembled.manifest.files if not p.startswith("static/")}
    assert pages <= _rendered_afresh(base, assembled)


def test_a_render_of_another_database_is_not_built_on(
    site: dict[str, Any], frozen: datetime
) -> None:
    base = render_next(full=True)
    assert current_base() is not None
    # Same version number, another history: the stamp differs.
    SiteChange.objects.filter(version=base.manifest.version).update(
        at=frozen - timedelta(seconds=1)
    )
    lifecycle.update_post(
        actor=ACTOR,
        incident=site["old1"],
        body=promised("Fixed too.", now=frozen),
        status="monitoring",
        now=frozen,
    )

    assembled = render_next()

    assert f"incidents/{site['old3'].public_id}" in _rendered_afresh(base, assembled)


def test_a_hostile_stored_row_does_not_stop_an_incremental_publish(
    site: dict[str, Any], frozen: datetime, tmp_path: Path, mirror: Path
) -> None:
    service.publish()
    update = lifecycle.update_post(
        actor=ACTOR,
        incident=site["old2"],
        body=promised("Fixed.", now=frozen),
        status="monitoring",
        now=frozen,
    )
    # Written behind the services' backs, as a bad restore or a bug might leave it.
    IncidentUpdate.objects.filter(pk=update.pk).update(
        body_html='<script>alert(1)</script>"><img src=x onerror=alert(2)>{% now "Y" %}',
    )
    Incident.objects.filter(pk=site["old2"].pk).update(name="\u202e<b>x</b>" * 20)
    lifecycle.update_post(
        actor=ACTOR,
        incident=site["old2"],
        body=promised("All good.", now=frozen),
        status="monitoring",
        now=frozen,
    )

    result = service.publish()

    assert not result.failed
    _assert_same_site(_served(mirror), render_snapshot(tmp_path / "full"))


def _served(mirror: Path) -> Snapshot:
    target = LocalTarget(mirror)
    directory, manifest = target.current_dir(), target.current()
    assert directory is not None and manifest is not None
    return Snapshot(directory, manifest)


# -- the targets take only what changed -----------------------------------------------------


def test_the_mirror_rewrites_only_changed_files(
    site: dict[str, Any], frozen: datetime, mirror: Path
) -> None:
    service.publish()
    tree = (mirror / "current").resolve()
    first = Manifest.from_json((tree / MANIFEST_NAME).read_bytes())
    inodes = {
        path: (tree / disk_path(path, entry.content_type)).stat().st_ino
        for path, entry in first.files.items()
    }

    # Three trees: the third publish after this one writes to the first's tree again.
    for status in ("identified", "monitoring", "investigating"):
        lifecycle.update_post(
            actor=ACTOR,
            incident=site["open"],
            body=promised("Cause found.", now=frozen),
            status=status,
            now=frozen,
        )
        service.publish()

    assert (mirror / "current").resolve() == tree
    last = Manifest.from_json((tree / MANIFEST_NAME).read_bytes())
    rewritten = {
        path
        for path, entry in last.files.items()
        if (tree / disk_path(path, entry.content_type)).stat().st_ino != inodes.get(path)
    }
    changed = {p for p, e in last.files.items() if first.files.get(p) != e}
    assert rewritten == changed
    assert f"incidents/{site['open'].public_id}" in rewritten
    assert f"incidents/{site['old0'].public_id}" not in rewritten
    assert service.verify_targets()[1][0].problems == ()


def test_the_bucket_gets_only_changed_keys(
    site: dict[str, Any], frozen: datetime, settings: Any, s3_server: S3Server, s3: Any, bucket: str
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["local", "s3"]
    settings.CANDOR_S3_BUCKET = bucket
    settings.CANDOR_S3_ENDPOINT_URL = s3_server.url
    settings.CANDOR_S3_ACCESS_KEY_ID = "candor"
    settings.CANDOR_S3_SECRET_ACCESS_KEY = "moto-secret-that-must-not-leak"
    settings.CANDOR_S3_ADDRESSING = "path"
    service.publish()
    served = Manifest.from_json(s3.get_object(Bucket=bucket, Key=MANIFEST_NAME)["Body"].read())

    lifecycle.update_post(
        actor=ACTOR,
        incident=site["old2"],
        body=promised("Fixed too.", now=frozen),
        status="monitoring",
        now=frozen,
    )
    s3_target = configured_targets()[1]
    calls = record_calls(s3_target)  # type: ignore[arg-type]
    _push_with(s3_target)

    now_served = Manifest.from_json(s3.get_object(Bucket=bucket, Key=MANIFEST_NAME)["Body"].read())
    changed = {p for p, e in now_served.files.items() if served.files.get(p) != e}
    puts = [path for op, path in calls if op == "PutObject"]
    # The manifest and its signature (signing.file_sign) go up after the changed files.
    assert sorted(puts) == sorted([*changed, MANIFEST_NAME, SIGNATURE_NAME])
    assert f"incidents/{site['old2'].public_id}" in puts
    assert f"incidents/{site['old0'].public_id}" not in puts
    assert [op for op, _ in calls if op == "DeleteObject"] == []
    assert service.verify_targets()[1][1].problems == ()


def _push_with(target: Any) -> None:
    """publish(), with the target instance whose calls are being recorded."""
    original = service.configured_targets
    service.configured_targets = lambda: [configured_targets()[0], target]  # type: ignore[assignment]
    try:
        assert not service.publish().failed
    finally:
        service.configured_targets = original  # type: ignore[assignment]


def test_a_full_publish_matches_what_incremental_ones_assembled(
    site: dict[str, Any], frozen: datetime, mirror: Path
) -> None:
    service.publish()
    for n in range(3):
        lifecycle.update_post(
            actor=ACTOR,
            incident=site[f"old{n}"],
            body=promised(("Fixed.", "Fixed too.", "All good.")[n], now=frozen),
            status="monitoring",
            now=frozen,
        )
        service.publish()
    assembled = (mirror / "current").resolve()
    assembled_manifest = Manifest.from_json((assembled / MANIFEST_NAME).read_bytes())

    result = service.publish(full=True)

    assert result.as_dict()["targets"] == {"local": "published"}
    healed = (mirror / "current").resolve()
    assert healed != assembled
    assert Manifest.from_json((healed / MANIFEST_NAME).read_bytes()).files == (
        assembled_manifest.files
    )


@pytest.mark.django_db(transaction=True)
def test_readers_see_one_complete_version_during_incremental_publishes(
    mirror: Path, settings: Any
) -> None:
    component = Component.objects.create(name="API", position=1)
    incident = lifecycle.incident_open(
        actor=ACTOR, name="Slow API", body=promised("Investigating."), impact="minor",
        components={component: "degraded_performance"},
    )  # fmt: skip
    service.publish()
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            found = []
            try:
                current = (mirror / "current").resolve()
                read_at = (current / MANIFEST_NAME).stat().st_ino
                manifest = Manifest.from_json((current / MANIFEST_NAME).read_bytes())
                for path, entry in manifest.files.items():
                    data = (current / disk_path(path, entry.content_type)).read_bytes()
                    if sha256_of(data) != entry.sha256:
                        found.append(f"{current.name}/{path}: not the manifest's bytes")
                if found and (current / MANIFEST_NAME).stat().st_ino != read_at:
                    continue  # its tree was reused two pushes later: the reader starts over
            except FileNotFoundError:
                continue  # its tree is being reused for a newer version: it starts over
            problems.extend(found)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for body in ("Looking.", "Still watching.", "Watching.", "Checking.", "Looking into it."):
            lifecycle.update_post(
                actor=ACTOR, incident=incident, body=promised(body), status="investigating"
            )
            service.publish()
    finally:
        stop.set()
        reader.join()
        connection.close()
    assert problems == []
    assert service.verify_targets()[1][0].problems == ()


def test_publish_full_renders_and_pushes_even_when_every_target_is_current(
    site: dict[str, Any], frozen: datetime, mirror: Path
) -> None:
    call_command("publish")
    served = (mirror / "current").resolve()

    out = StringIO()
    call_command("publish", "--full", stdout=out)

    assert "local: published" in out.getvalue()
    assert (mirror / "current").resolve() != served
    assert publish_full()["targets"] == {"local": "published"}  # the beat task's work


def test_the_signed_notices_list_is_rendered_only_when_a_notice_was_added(
    site: dict[str, Any], frozen: datetime, tmp_path: Path
) -> None:
    base = render_next(full=True)

    # No update, so no new signed notice: the 11 MB list of a big site is reused.
    lifecycle.component_status_set(
        actor=ACTOR, component=site["api"], status="degraded_performance", now=frozen
    )
    quiet = render_next()
    assert "index.html" in _rendered_afresh(base, quiet)
    assert "verify/notices.json" not in _rendered_afresh(base, quiet)
    _assert_same_site(quiet, render_snapshot(tmp_path / "full"))

    lifecycle.update_post(
        actor=ACTOR,
        incident=site["open"],
        body=promised("Cause found.", now=frozen),
        status="identified",
        now=frozen,
    )
    busy = render_next()
    assert "verify/notices.json" in _rendered_afresh(quiet, busy)
    _assert_same_site(busy, render_snapshot(tmp_path / "full-again"))
