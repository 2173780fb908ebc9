"""Fault test on real processes: with Redis (cache, broker, rate limits) gone, ingest
still answers 202 quickly, stores every signal, and the sweep routes them afterwards."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.faults.stack import Stack, running_stack

pytestmark = pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
    reason="needs PostgreSQL's server binaries",
)

SETUP = """
from incidents.audit import Actor
from incidents.ingest import sources
from incidents.models import Component
Component.objects.create(name="Database")
source, token = sources.source_create(
    actor=Actor.system("test"), name="prom", format="alertmanager", hold_seconds=0)
sources.rule_add(actor=Actor.system("test"), source=source, kind="service")
print(token)
"""
COUNT = """
from incidents.models import Signal, Proposal
print(Signal.objects.count(), Signal.objects.filter(component__name="Database").count(),
      Proposal.objects.count())
"""


def _payload(batch: int) -> bytes:
    alerts = [
        {"status": "firing", "fingerprint": f"b{batch}-{i}", "startsAt": "2026-11-23T19:00:00Z",
         "labels": {"alertname": "InstanceDown", "service": "Database", "instance": f"db-{i}"}}
        for i in range(10)
    ]  # fmt: skip
    return json.dumps({"version": "4", "status": "firing", "alerts": alerts}).encode()


def _post(stack: Stack, token: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.web_port}/api/ingest/prom/",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status: Any = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return int(status), time.monotonic() - started


def test_ingest_without_redis_stores_everything_and_the_sweep_routes_it(
    tmp_path: Path,
) -> None:
    with running_stack(tmp_path) as stack:
        token = stack.manage("shell", "--no-imports", "-c", SETUP).strip().splitlines()[-1]
        assert _post(stack, token, _payload(0))[0] == 202
        stack.redis.stop()
        answers = [_post(stack, token, _payload(batch)) for batch in range(1, 6)]
        assert [status for status, _ in answers] == [202] * 5, stack.logs()
        assert max(seconds for _, seconds in answers) < 3.0
        stored, _, _ = map(int, stack.manage("shell", "--no-imports", "-c", COUNT).split())
        assert stored == 60  # every accepted signal is in the database
        stack.manage(
            "shell",
            "--no-imports",
            "-c",
            "from incidents.tasks import ingest_sweep; ingest_sweep()",
        )
        stored, routed, proposals = map(
            int, stack.manage("shell", "--no-imports", "-c", COUNT).split()
        )
        assert (stored, routed, proposals) == (60, 60, 1)
