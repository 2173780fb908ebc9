"""Many senders at once, on real PostgreSQL connections (one per thread)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from incidents.audit import Actor
from incidents.ingest import sources
from incidents.models import MatchKind, Proposal, Signal, SourceFormat
from tests.factories import ComponentFactory
from tests.ingest.conftest import payload

THREADS = 8
POSTS = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_of_the_same_alerts_store_them_once_and_propose_once() -> None:
    ComponentFactory(name="Database")
    source, token = sources.source_create(
        actor=Actor.system("t"),
        name="prom",
        format=SourceFormat.ALERTMANAGER,
        hold_seconds=0,
        rate_per_second=100_000,
        burst=100_000,
    )
    sources.rule_add(actor=Actor.system("t"), source=source, kind=MatchKind.SERVICE)
    body = json.dumps(payload("alertmanager-firing.json"))

    def send(_: int) -> list[int]:
        client = Client()
        codes = []
        try:
            for _ in range(POSTS):
                answer: Any = client.post(
                    "/api/ingest/prom/",
                    data=body,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                )
                codes.append(answer.status_code)
        finally:
            connection.close()
        return codes

    with ThreadPoolExecutor(THREADS) as pool:
        codes = [c for batch in pool.map(send, range(THREADS)) for c in batch]
    assert codes == [202] * THREADS * POSTS
    assert Signal.objects.count() == 2
    assert {s.received_count for s in Signal.objects.all()} == {THREADS * POSTS}
    assert Proposal.objects.count() == 1
