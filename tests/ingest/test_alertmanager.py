"""The real Prometheus Alertmanager sends its webhooks to a live Candor.

The test starts /usr/bin/prometheus-alertmanager (Debian's prometheus-alertmanager;
`make test` installs it) on a free loopback port with a webhook receiver pointing at
pytest-django's live server, pushes alerts into it through its v2 API, and waits for
Candor to have stored and routed what Alertmanager sent: firing, then resolved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidents.audit import Actor
from incidents.ingest import sources
from incidents.models import (
    Component,
    MatchKind,
    Proposal,
    ProposalState,
    Signal,
    Source,
    SourceFormat,
)
from tests.factories import ComponentFactory
from tests.faults.postgres import free_port
from tests.faults.stack import wait_for_port

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

pytestmark = [
    pytest.mark.skipif(
        not Path(BINARY).exists(),
        reason="prometheus-alertmanager is not installed (`make test` installs it)",
    ),
    pytest.mark.django_db(transaction=True),
]

CONFIG = """
global:
  resolve_timeout: 1m
route:
  receiver: candor
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: candor
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


class Alertmanager:
    def __init__(self, port: int) -> None:
        self.port = port

    def push(self, *alerts: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v2/alerts",
            data=json.dumps(list(alerts)).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200


@pytest.fixture
def source(live_server: Any) -> tuple[Source, str]:
    source, token = sources.source_create(
        actor=Actor.system("test-admin"),
        name="prom",
        format=SourceFormat.ALERTMANAGER,
        hold_seconds=0,
        recover_seconds=0,
    )
    sources.rule_add(actor=Actor.system("test-admin"), source=source, kind=MatchKind.SERVICE)
    return source, token


@pytest.fixture
def alertmanager(
    source: tuple[Source, str], live_server: Any, tmp_path: Path
) -> Iterator[Alertmanager]:
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=f"{live_server.url}/api/ingest/prom/", token=source[1]))
    log = open(tmp_path / "alertmanager.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}",
         "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield Alertmanager(port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _alert(instance: str, *, ends: datetime | None = None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "InstanceDown",
            "instance": instance,
            "service": "Database",
            "severity": "critical",
        },
        "annotations": {"summary": f"{instance} is down"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _statuses() -> dict[str, str]:
    return {s.labels["instance"]: s.status for s in Signal.objects.all()}


def test_alertmanager_webhooks_are_received_routed_and_resolved(
    alertmanager: Alertmanager,
) -> None:
    database: Component = ComponentFactory(name="Database")
    alertmanager.push(_alert("db-1"), _alert("db-2"))
    _wait_for(lambda: _statuses() == {"db-1": "firing", "db-2": "firing"}, "both alerts firing")
    _wait_for(
        lambda: Signal.objects.filter(component=database, routed_at__isnull=False).count() == 2,
        "the alerts routed to Database",
    )
    # Routing commits, then evaluates the components it touched.
    _wait_for(Proposal.objects.exists, "the proposal")
    proposal = Proposal.objects.get()
    assert proposal.state == ProposalState.PENDING
    assert proposal.components == {database.public_id: "major_outage"}
    fingerprints = set(Signal.objects.values_list("fingerprint", flat=True))

    # A partial resolve: the group stays "firing", db-1's own status says resolved.
    past = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.push(_alert("db-1", ends=past))
    _wait_for(lambda: _statuses() == {"db-1": "resolved", "db-2": "firing"}, "db-1 resolved")
    time.sleep(0.5)  # evaluation follows routing: give a wrong withdrawal time to happen
    assert Proposal.objects.get().state == ProposalState.PENDING

    alertmanager.push(_alert("db-2", ends=past))
    _wait_for(lambda: _statuses() == {"db-1": "resolved", "db-2": "resolved"}, "db-2 resolved")
    # Re-sent and resolved alerts updated their rows: Alertmanager's fingerprints, once each.
    assert set(Signal.objects.values_list("fingerprint", flat=True)) == fingerprints
    _wait_for(
        lambda: Proposal.objects.get().state == ProposalState.WITHDRAWN,
        "the proposal withdrawn once everything recovered",
    )
