"""Scale-out on separate hosts: two web nodes and two worker nodes, each in a network
namespace of its own with its own address, against one PostgreSQL and one Redis. A
fan-out to many recipients is spread across both workers; one worker node's network and
one web node's are cut mid fan-out. Counted at the SMTP sink: nobody is missed, nobody
gets two different messages; the page keeps answering through the other web node.

Recipients: CANDOR_SCALEOUT_RECIPIENTS (100,000 in `make scaleout`; 5,000 in `make test`,
which runs the same test on the same kind of cluster; docs/scale-out.md)."""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaleout.cluster import CONNECTIONS, LEASE, Cluster, running_cluster
from tests.scaleout.netns import netns_available

RECIPIENTS = int(os.environ.get("CANDOR_SCALEOUT_RECIPIENTS", "5000"))
pytestmark = [pytest.mark.timeout(1800), pytest.mark.scaleout]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if reason := netns_available():
        pytest.fail(f"the scale-out test needs network namespaces: {reason}")
    with running_cluster(Path(tmp_path_factory.mktemp("cluster"))) as running:
        yield running


def _by_recipient(cluster: Cluster) -> dict[str, set[bytes]]:
    ids: dict[str, set[bytes]] = defaultdict(set)
    for recipient, message_id in list(cluster.sink.arrived):
        if recipient.startswith("reader"):  # not the approver's notice
            ids[recipient].add(message_id)
    return ids


def test_a_fanout_survives_losing_a_worker_node_and_a_web_node(cluster: Cluster) -> None:
    web1, web2 = cluster.webs
    work1, work2 = cluster.workers
    cluster.subscribe(RECIPIENTS)
    for node in (web1, web2):
        cluster.start_web(node)
    for node in (work1, work2):
        cluster.start_worker(node)
    cluster.wait_for_workers()

    incident = cluster.open_incident(web1, "Checkout failing in one region")
    deadline = time.monotonic() + 600
    while len(_by_recipient(cluster)) < RECIPIENTS // 5:
        assert time.monotonic() < deadline, cluster.logs()
        time.sleep(0.2)

    work1.cut()
    web1.cut()
    cut_at = len(_by_recipient(cluster))
    assert cut_at < RECIPIENTS, "the fan-out ended before the cut: nothing was tested"

    # The page answers through the other web node, with the incident on it.
    status, page = cluster.request(web2, "GET", "/")
    assert status == 200 and b"Checkout failing in one region" in page
    status, summary = cluster.request(web2, "GET", "/api/v2/summary.json")
    assert status == 200 and incident.encode() in summary
    with pytest.raises(OSError):  # the cut node really is gone
        cluster.request(web1, "GET", "/", timeout=3)

    # The beat re-queues what the lost worker held once its lease runs out; the other
    # worker sends it.
    deadline = time.monotonic() + 1200
    while len(_by_recipient(cluster)) < RECIPIENTS:
        assert time.monotonic() < deadline, (len(_by_recipient(cluster)), cluster.logs())
        time.sleep(LEASE)
        cluster.sweep()
    time.sleep(2 * LEASE)  # anything sent twice would have arrived by now

    received = _by_recipient(cluster)
    assert set(received) == {f"reader{i}@example.com" for i in range(RECIPIENTS)}
    different = {who: ids for who, ids in received.items() if len(ids) > 1}
    assert not different, f"{len(different)} recipients got two different messages"
    copies = Counter(who for who, _ in cluster.sink.arrived if who.startswith("reader"))
    # The messages the cut worker had on the wire (one per SMTP connection) may have
    # reached the sink without their acknowledgement reaching the worker: each is sent
    # again with the same Message-ID, which receivers treat as one message
    # (docs/design.md, "exactly once").
    redelivered = sum(n - 1 for n in copies.values())
    assert redelivered <= CONNECTIONS, redelivered
    # Both worker nodes did part of the work (the cut one before the cut), each from its
    # own address.
    by_node = {node.name: cluster.sink.senders[node.address] for node in (work1, work2)}
    assert all(by_node.values()), by_node
    workers_seen = cluster.manage(
        "shell", "--no-imports", "-c",
        "from incidents.models import Delivery; print(Delivery.objects.filter("
        "state='sent').count())",
    )  # fmt: skip
    assert int(workers_seen.strip().splitlines()[-1]) == RECIPIENTS
    print(f"\nscale-out: {RECIPIENTS} recipients, cut at {cut_at}, sent by {by_node}, "
          f"redelivered {redelivered}")  # fmt: skip
