"""Publishing as a whole: triggers, several targets, races, freshness alerts, the command."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import PublishTarget
from incidents.publish import freshness, service
from incidents.publish.locks import target_lock
from incidents.publish.snapshot import render_snapshot
from incidents.publish.targets.base import TargetError
from incidents.publish.targets.local import LocalTarget
from incidents.publish.targets.s3 import S3Target
from incidents.publish.versions import site_version
from tests.factories import ComponentFactory, promised
from tests.publish.conftest import SECRET, free_port

ACTOR = Actor.system("test")


def _open(name: str = "API errors") -> Any:
    return lifecycle.incident_open(
        actor=ACTOR, name=name, body=promised("Investigating."), impact="minor"
    )


def _served(mirror: Path) -> int | None:
    manifest = LocalTarget(mirror).current()
    return manifest.version if manifest else None


def test_every_public_change_is_published_after_its_commit(
    mirror: Path, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = _open()
    assert _served(mirror) == site_version() == 1
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_post(
            actor=ACTOR, incident=incident, body=promised("Cause found."), status="identified"
        )
    assert _served(mirror) == 2
    page = (mirror / "current" / f"incidents/{incident.public_id}.html").read_text()
    assert "Cause found." in page
    row = PublishTarget.objects.get(name="local")
    assert (row.last_version, row.last_error, row.behind_since) == (2, "", None)


def test_a_publish_leaves_older_objects_out_of_the_collector_and_hands_them_back(
    mirror: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During a publish the objects that existed before it are frozen (gc.freeze); after
    it, as after a failed render, nothing stays frozen (no memory kept beyond it)."""
    import gc

    _open()
    seen: list[int] = []
    real = service.render_next

    def watched(**kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        return real(**kwargs)

    monkeypatch.setattr(service, "render_next", watched)
    assert gc.get_freeze_count() == 0
    assert not service.publish().failed
    assert seen and seen[0] > 10_000 and gc.get_freeze_count() == 0

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("render broke")

    monkeypatch.setattr(service, "render_next", broken)
    assert service.publish(full=True).failed
    assert gc.get_freeze_count() == 0


def test_a_change_that_rolls_back_publishes_nothing(mirror: Path, db: None) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _open()
        raise RuntimeError("the request failed after the write")
    assert site_version() == 0 and _served(mirror) is None


@pytest.mark.django_db(transaction=True)
def test_racing_publishes_never_leave_an_older_version_current(
    mirror: Path, tmp_path: Path
) -> None:
    """Two renders of different versions pushed at once, in both orders, many times."""
    _open()
    older = render_snapshot(tmp_path / "older")
    _open("Second incident")
    newer = render_snapshot(tmp_path / "newer")
    assert newer.manifest.version == older.manifest.version + 1
    target = LocalTarget(mirror)
    outcomes: list[str] = []

    def push(snapshot: Any) -> None:
        outcomes.append(service._push(target, snapshot, force=False).outcome)
        connection.close()  # this thread's own

    for round_ in range(6):
        first, second = (older, newer) if round_ % 2 else (newer, older)

        threads = [threading.Thread(target=push, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _served(mirror) == newer.manifest.version
        assert PublishTarget.objects.get(name="local").last_version == newer.manifest.version
        assert "failed" not in outcomes


# -- a second target that fails and comes back ------------------------------------------


class MotoServer:
    """moto's S3 server on a fixed port, so it can be stopped and started again there."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.client().create_bucket(Bucket="status")  # moto keeps nothing across restarts

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="candor", aws_secret_access_key=SECRET,
        )  # fmt: skip


@pytest.fixture
def moto(settings: Any, mirror: Path) -> Any:
    server = MotoServer()
    server.start()
    settings.CANDOR_PUBLISH_TARGETS = ["local", "s3"]
    settings.CANDOR_S3_BUCKET = "status"
    settings.CANDOR_S3_ENDPOINT_URL = server.url
    settings.CANDOR_S3_ACCESS_KEY_ID = "candor"
    settings.CANDOR_S3_SECRET_ACCESS_KEY = SECRET
    settings.CANDOR_S3_ADDRESSING = "path"
    yield server
    server.stop()


def test_a_stopped_store_does_not_hold_back_the_mirror_and_catches_up(
    moto: MotoServer, mirror: Path, db: None
) -> None:
    _open()
    result = service.publish()
    assert result.as_dict()["targets"] == {"local": "published", "s3:status": "published"}

    moto.stop()
    _open("Second incident")
    result = service.publish()
    assert result.as_dict()["targets"] == {"local": "published", "s3:status": "failed"}
    assert _served(mirror) == 2
    s3_row = PublishTarget.objects.get(name="s3:status")
    assert s3_row.last_version == 1 and s3_row.behind_since is not None
    assert "s3:status" in s3_row.last_error and SECRET not in s3_row.last_error
    version, health = service.verify_targets()
    assert [h.name for h in health if h.problems] == ["s3:status"]

    moto.start()  # back, and empty
    result = service.publish()
    assert result.as_dict()["targets"] == {"local": "current", "s3:status": "published"}
    version, health = service.verify_targets()
    assert version == 2 and all(not h.problems for h in health)
    keys = {o["Key"] for o in moto.client().list_objects_v2(Bucket="status")["Contents"]}
    assert {"index.html", "manifest.json", "api/v2/summary.json"} <= keys
    s3_row.refresh_from_db()
    assert (s3_row.last_version, s3_row.last_error, s3_row.behind_since) == (2, "", None)


# -- staff hear about a lagging target --------------------------------------------------


def test_a_lagging_target_alerts_staff_once_and_again_when_it_recovers(
    settings: Any, mirror: Path, db: None, client: Client
) -> None:
    staff = User.objects.create_user("sam", "sam@example.com", "pw-sam-123", is_staff=True)
    User.objects.create_user("customer", "c@example.com", "pw")  # not staff: not told
    settings.CANDOR_PUBLISH_STALE_AFTER = 60
    mirror.parent.mkdir(parents=True, exist_ok=True)
    mirror.write_text("a file where the mirror directory should be")  # every push fails
    _open()
    start = timezone.now()

    assert freshness.freshness_check(now=start) == {"local": "behind"}
    assert mail.outbox == []
    assert freshness.freshness_check(now=start + timezone.timedelta(seconds=90)) == {
        "local": "stale"
    }
    assert freshness.freshness_check(now=start + timezone.timedelta(seconds=150)) == {
        "local": "stale"
    }
    assert [m.to for m in mail.outbox] == [["sam@example.com"]]
    assert "out of date" in mail.outbox[0].subject
    client.force_login(staff)
    banner = client.get("/console/").content.decode()
    assert "The public copy <strong>local</strong> is out of date" in banner

    mirror.unlink()  # fixed: the next publish goes through
    service.publish()
    assert freshness.freshness_check() == {"local": "current"}
    assert len(mail.outbox) == 2 and "current again" in mail.outbox[1].subject.lower()
    assert "is out of date" not in client.get("/console/").content.decode()


# -- the break-glass command -------------------------------------------------------------


def test_the_publish_command_publishes_verifies_and_repairs(mirror: Path, db: None) -> None:
    ComponentFactory(name="API")
    _open()
    out = StringIO()
    call_command("publish", stdout=out)
    assert "local: published, version 1" in out.getvalue()

    out = StringIO()
    call_command("publish", "--verify", stdout=out)
    assert "local: current and intact (version 1" in out.getvalue()

    (mirror / "current" / "index.html").write_text("defaced")
    err = StringIO()
    with pytest.raises(CommandError, match="stale or damaged"):
        call_command("publish", "--verify", stdout=StringIO(), stderr=err)
    assert "index.html: 7 bytes" in err.getvalue()

    call_command("publish", "--force", stdout=StringIO())
    call_command("publish", "--verify", stdout=StringIO())  # intact again: no error

    _open("Another")
    with pytest.raises(CommandError):
        call_command("publish", "--verify", stdout=StringIO(), stderr=StringIO())


def test_the_publish_command_refuses_to_run_without_targets(db: None) -> None:
    with pytest.raises(CommandError, match="no publish targets"):
        call_command("publish")


def test_demo_data_is_published_once_when_it_is_complete(
    mirror: Path, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    assert site_version() > 20, "many public changes"
    assert len(list((mirror / "trees").iterdir())) == 1  # one push: one tree written
    assert _served(mirror) == site_version()


def test_the_console_shows_each_copy_and_publishes_on_request(
    mirror: Path, db: None, client: Client, responder: User
) -> None:
    _open()
    client.force_login(responder)
    page = client.get("/console/publishing/").content.decode()
    assert "version <strong>1</strong>" in page
    assert '<th scope="row">local</th>' in page and "never" in page
    answer = client.post("/console/publishing/", follow=True)
    assert "Version 1 published (local: published)." in answer.content.decode()
    assert _served(mirror) == 1
    assert "Current" in client.get("/console/publishing/").content.decode()
    client.logout()
    assert client.post("/console/publishing/").status_code == 302  # to the login page
    assert _served(mirror) == 1


def test_the_local_copy_goes_first_whatever_the_order_of_the_setting(
    moto: MotoServer, mirror: Path, db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["s3", "local"]
    _open()
    checked: list[str] = []
    real_ready = service._ready

    def recording(target: Any, *args: Any, **options: Any) -> Any:
        checked.append(target.name)
        return real_ready(target, *args, **options)

    monkeypatch.setattr(service, "_ready", recording)
    service.publish()
    assert checked == ["local", "s3:status"]  # and each copy starts once its checks pass


def test_the_copies_to_every_target_run_at_once(
    moto: MotoServer, mirror: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update is live everywhere after the slowest copy, not after the sum of them: each
    copy waits here until the other has started (one after the other, neither would)."""
    _open()
    both = threading.Barrier(2, timeout=10)
    for kind in (LocalTarget, S3Target):
        real = kind.push

        def meeting(self: Any, snapshot: Any, *, _real: Any = real, **options: Any) -> None:
            both.wait()
            _real(self, snapshot, **options)

        monkeypatch.setattr(kind, "push", meeting)
    result = service.publish()
    assert result.as_dict()["targets"] == {"local": "published", "s3:status": "published"}
    assert _served(mirror) == result.version
    keys = {o["Key"] for o in moto.client().list_objects_v2(Bucket="status")["Contents"]}
    assert "manifest.json" in keys


@pytest.mark.django_db(transaction=True)
def test_the_local_copy_is_recorded_while_the_store_is_still_copying(
    moto: MotoServer, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that takes its time holds back neither the local copy nor its record: the
    store's copy here waits until the local one is recorded in the database."""
    real = S3Target.push
    seen: list[int | None] = []

    def waiting(self: S3Target, snapshot: Any, **options: Any) -> None:
        seen.append(_recorded_within("local", 10))  # (in the copy's thread)
        real(self, snapshot, **options)

    monkeypatch.setattr(S3Target, "push", waiting)
    _published_after_local_was_recorded(seen)


@pytest.mark.django_db(transaction=True)
def test_the_local_copy_is_recorded_while_the_store_is_slow_to_say_what_it_serves(
    moto: MotoServer, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a store serves is read before it is copied to (under its lock): a store slow to
    answer that (here until the local copy is recorded) delays no local record."""
    real = S3Target.current
    seen: list[int | None] = []

    def slow(self: S3Target) -> Any:
        if not seen:  # the publish's own read (the copy reads it again)
            seen.append(_recorded_within("local", 10))
        return real(self)

    monkeypatch.setattr(S3Target, "current", slow)
    _published_after_local_was_recorded(seen)


@pytest.mark.django_db(transaction=True)
def test_the_local_copy_is_recorded_while_another_publish_holds_the_store(
    moto: MotoServer, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another publish holds the store's lock (until the local copy is recorded, here):
    the wait for it delays no local record."""
    monkeypatch.setattr(service, "LOCK_TIMEOUT_SECONDS", 10.0)
    held, seen = threading.Event(), []

    def other_publish() -> None:
        try:
            with target_lock("s3:status", timeout=5):
                held.set()
                seen.append(_recorded_within("local", 10))
        finally:
            connection.close()  # this thread's own

    other = threading.Thread(target=other_publish)
    other.start()
    assert held.wait(10)
    _open()  # its publish waits for the store's lock
    other.join()
    assert seen == [site_version()]
    for name in ("local", "s3:status"):
        assert PublishTarget.objects.get(name=name).last_version == site_version()


def _published_after_local_was_recorded(seen: list[int | None]) -> None:
    """Open an incident (committed: its publish runs now, the test's Celery running tasks
    in place); the store's hold saw the local copy recorded, and both targets have it."""
    _open()
    assert seen == [site_version()]
    for name in ("local", "s3:status"):
        assert PublishTarget.objects.get(name=name).last_version == site_version()


def _recorded_within(name: str, seconds: float) -> int | None:
    """The version the target's row records once it has one, waiting up to `seconds`
    (from a thread of the publish's, on its own connection: committed rows only)."""
    deadline = time.monotonic() + seconds
    while True:
        row = PublishTarget.objects.filter(name=name).first()
        version = row.last_version if row else None
        if version is not None or time.monotonic() > deadline:
            return version
        time.sleep(0.05)


def test_a_copy_that_fails_is_recorded_and_the_other_still_lands(
    moto: MotoServer, mirror: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open()

    def broken(self: Any, snapshot: Any, **options: Any) -> None:
        raise TargetError("local: the disk is full")

    monkeypatch.setattr(LocalTarget, "push", broken)
    result = service.publish()
    assert result.as_dict()["targets"] == {"local": "failed", "s3:status": "published"}
    local = PublishTarget.objects.get(name="local")
    assert local.last_error == "local: the disk is full" and local.behind_since is not None
    assert PublishTarget.objects.get(name="s3:status").last_version == result.version
    # Every lock was given back: the next publish takes both targets again.
    monkeypatch.undo()
    assert service.publish(full=True).as_dict()["targets"] == {
        "local": "published",
        "s3:status": "published",
    }
