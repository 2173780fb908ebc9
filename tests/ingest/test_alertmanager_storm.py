"""The real Alertmanager under a rate-limited storm loses nothing (issue 13, finding 15).

Each alert is its own group, so Alertmanager sends many webhooks at once to a source whose
bucket admits two signals a second. With group_interval at its default (5 minutes), only
Alertmanager's own retries can deliver a refused batch within the test: it retries a 503
(what Candor answers an Alertmanager source over its rate) and drops a 429.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incidents.audit import Actor
from incidents.ingest import sources
from incidents.models import Signal, SourceFormat
from tests.faults.postgres import free_port
from tests.faults.stack import wait_for_port
from tests.ingest.test_alertmanager import BINARY, Alertmanager, _alert, _wait_for

pytestmark = [
    pytest.mark.skipif(not Path(BINARY).exists(), reason="prometheus-alertmanager missing"),
    pytest.mark.django_db(transaction=True),
]

ALERTS = 20
CONFIG = """
route:
  receiver: candor
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: candor
    webhook_configs:
      - url: {url}
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@pytest.fixture
def storm_alertmanager(live_server: Any, tmp_path: Path) -> Iterator[Alertmanager]:
    _, token = sources.source_create(
        actor=Actor.system("test-admin"), name="storm", format=SourceFormat.ALERTMANAGER,
        rate_per_second=2, burst=2,
    )  # fmt: skip
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=f"{live_server.url}/api/ingest/storm/", token=token))
    log = open(tmp_path / "alertmanager.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield Alertmanager(port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_every_alert_of_a_rate_limited_storm_is_admitted(
    storm_alertmanager: Alertmanager,
) -> None:
    storm_alertmanager.push(*[_alert(f"host-{i}") for i in range(ALERTS)])
    _wait_for(
        lambda: Signal.objects.count() == ALERTS,
        f"all {ALERTS} alerts admitted (only a retry delivers a refused one)",
        timeout=60,
    )
