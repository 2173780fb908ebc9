"""The embedded broker forgets the messages the worker took, and keeps those it has not."""

from __future__ import annotations

from pathlib import Path

from kombu import Connection

from statuspage import broker


def test_prune_deletes_taken_messages_only(tmp_path: Path) -> None:
    url, options = broker.embedded_broker(tmp_path)
    with Connection(url, transport_options=options) as conn:
        queue = conn.SimpleQueue("probe")
        for n in range(3):
            queue.put({"n": n})
        queue.get(timeout=5).ack()

        assert broker.prune_delivered(tmp_path) == 1
        assert [queue.get(timeout=5).payload["n"] for _ in range(2)] == [1, 2]
        queue.close()


def test_prune_before_anything_was_sent(tmp_path: Path) -> None:
    assert broker.prune_delivered(tmp_path) == 0
    broker.embedded_broker(tmp_path)
    assert broker.prune_delivered(tmp_path) == 0
