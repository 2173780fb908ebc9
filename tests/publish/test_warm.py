"""A worker's publisher made ready when it starts (incidents/publish/warm.py): what the
first publish would read and compute is read and computed before it, a failing step
stops nothing, and a real Celery worker, solo or prefork, does it on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from incidents import lifecycle, signing
from incidents.audit import Actor
from incidents.publish import manifest, service
from incidents.publish.notices import notices_forget
from incidents.publish.renders import current_base
from incidents.publish.warm import publisher_warm
from tests.factories import promised
from tests.publish.conftest import free_port

ACTOR = Actor.system("test")
ROOT = Path(__file__).resolve().parents[2]


def _a_fresh_process() -> None:
    """Forget what this process kept, as a worker that just started knows nothing."""
    manifest._parsed.clear()
    signing._digests.clear()
    notices_forget()  # nor has it read any notice yet


def test_after_the_warm_up_a_publish_parses_no_manifest_and_computes_no_digest_again(
    mirror: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = lifecycle.incident_open(
        actor=ACTOR, name="API errors", body=promised("Investigating."), impact="minor"
    )
    assert not service.publish().failed
    _a_fresh_process()

    took = publisher_warm()

    assert {"base render", "target local", "notices", "a render"} <= set(took)
    base = current_base()
    assert base is not None
    assert all("_json" in entry.__dict__ for entry in base.snapshot.manifest.files.values())
    assert signing._digests  # every update's digest, known before the first publish
    lifecycle.update_post(
        actor=ACTOR, incident=incident, body=promised("Cause found."), status="identified"
    )
    parsed: list[int] = []

    class CountingJson:  # the manifest module's json, counting what it parses
        dumps = staticmethod(json.dumps)

        @staticmethod
        def loads(raw: bytes) -> Any:
            parsed.append(len(raw))
            return json.loads(raw)

    monkeypatch.setattr(manifest, "json", CountingJson)
    assert not service.publish().failed
    assert parsed == []  # every manifest it compared with was read by the warm-up


def test_the_warm_up_render_writes_nothing_shared_and_makes_no_full_render(
    mirror: Path, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    from incidents.publish.renders import renders_dir

    lifecycle.incident_open(
        actor=ACTOR, name="API errors", body=promised("Investigating."), impact="minor"
    )
    caplog.set_level("INFO", logger="incidents.publish.warm")
    publisher_warm()  # nothing published yet: no render to build on
    assert "no render to build on, none made" in caplog.text
    assert not renders_dir().exists() or not any(renders_dir().iterdir())

    assert not service.publish().failed
    store = renders_dir().parent / "objects"
    before = sorted(p.name for p in store.rglob("*"))
    renders = sorted(p.name for p in renders_dir().iterdir())
    caplog.clear()
    publisher_warm()
    assert "none made" not in caplog.text and "failed" not in caplog.text
    assert sorted(p.name for p in store.rglob("*")) == before
    assert sorted(p.name for p in renders_dir().iterdir()) == renders


def test_a_step_that_fails_is_logged_and_the_others_still_run(
    mirror: Path, db: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["local", "s3"]
    settings.CANDOR_S3_BUCKET = "nowhere"
    settings.CANDOR_S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens
    settings.CANDOR_S3_ACCESS_KEY_ID = "candor"
    settings.CANDOR_S3_SECRET_ACCESS_KEY = "not-a-secret"

    took = publisher_warm()

    assert {"target s3:nowhere", "notices", "a render"} <= set(took)
    assert "warming the publisher: target s3:nowhere failed" in caplog.text


@pytest.mark.parametrize("pool", ["solo", "prefork", "threads"])
def test_a_real_worker_warms_its_publisher_when_it_starts(
    pool: str, db: None, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "CANDOR_CACHE_PREFIX": f"warm{os.getpid()}",
        "CANDOR_CELERY_QUEUE": f"test-warm-{os.getpid()}",  # no task of anyone's reaches it
        "CANDOR_VAR_DIR": str(tmp_path / "var"),
        "CANDOR_PUBLISH_TARGETS": "local",
    }
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs a database another process can open")
    # Production's hashed static names, as a deployment has them (the front page links them).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "statuspage", "worker", f"--pool={pool}",
             "--concurrency=1", "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--loglevel=INFO", "--queues", env["CANDOR_CELERY_QUEUE"]],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "publisher warmed" not in log.read_text(errors="replace"):
                assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                time.sleep(0.1)
        finally:
            worker.kill()
            worker.wait(timeout=15)
    text = log.read_text(errors="replace")
    assert text.count("publisher warmed") == 1  # once, in the process running the tasks
    assert "failed" not in text  # no step failed
