"""The `make run` worker (embedded settings: SQLite, no Redis) stays up under steady load.

A real `celery worker --beat --pool=solo`, started as the Makefile starts it, takes probes
that four producer processes (standing in for the web workers) send at once over about a
minute, alongside the beat's own sweeps. The test fails if the worker exits, or if a probe
is lost or run twice. CANDOR_BROKER_TEST_SECONDS stretches the run for a longer soak.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("CANDOR_BROKER_TEST_SECONDS", "60"))
PRODUCERS = int(os.environ.get("CANDOR_BROKER_TEST_PRODUCERS", "4"))
PER_PRODUCER = int(os.environ.get("CANDOR_BROKER_TEST_PER_PRODUCER", "100"))


def _embedded_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CANDOR_CELERY_EAGER"}
    }
    env.update(DJANGO_SETTINGS_MODULE="statuspage.settings", CANDOR_VAR_DIR=str(var_dir))
    return env


# The soak's own length, plus the producers' grace (below) and starting the worker.
@pytest.mark.timeout(SECONDS + 300)
def test_the_make_run_worker_moves_every_message_and_stays_up(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = _embedded_env(var_dir)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    out = tmp_path / "probes.txt"
    out.touch()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "statuspage", "worker", "--beat"),
            *("--pool=solo", "--loglevel=INFO", "--schedule", str(var_dir / "celerybeat")),
            *("--include", "tests.demo.broker_probe"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started = time.monotonic()
    try:
        producers = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.demo.broker_probe", str(i * PER_PRODUCER)),
                    *(str(PER_PRODUCER), str(SECONDS), str(out)),
                ],
                cwd=ROOT,
                env=env,
            )
            for i in range(PRODUCERS)
        ]
        for producer in producers:
            assert producer.wait(timeout=SECONDS + 120) == 0, "a producer could not send"
        expected = PRODUCERS * PER_PRODUCER
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            if len(out.read_text().split()) >= expected:
                break
            time.sleep(0.5)
        time.sleep(2)  # a duplicate would arrive now
        ran = time.monotonic() - started
        alive = worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    text = (tmp_path / "worker.log").read_text(errors="replace")
    moved = len(re.findall(r"succeeded in", text))
    counts = Counter(int(n) for n in out.read_text().split())
    print(f"make-run broker: ran {ran:.0f} s, worker moved {moved} messages", file=sys.stderr)
    assert alive, f"the worker stopped after {ran:.0f} s:\n{text[-3000:]}"
    assert sorted(counts) == list(range(expected)), (
        f"{expected - len(counts)} probes lost:\n{text[-3000:]}"
    )
    assert max(counts.values()) == 1, "a probe ran twice"
