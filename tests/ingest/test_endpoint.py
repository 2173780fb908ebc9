"""POST /api/ingest/<source>/: what is accepted, what is refused, and that a refusal
stores nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from incidents.audit import Actor
from incidents.ingest import admission, auth, sources
from incidents.models import Signal, SourceFormat
from tests.ingest.conftest import Sender, lean_client, payload

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["full stack", "ingest handler"])
def client(request: pytest.FixtureRequest) -> Client:
    """Every test here twice: through the whole middleware stack (Django's test client as
    it is), and through the lean handler production serves monitors with."""
    return Client() if request.param == "full stack" else lean_client()


def _generic(**signal: Any) -> dict[str, Any]:
    return {"signals": [{"fingerprint": "f1", "status": "firing", "name": "Probe", **signal}]}


def test_alertmanager_payload_is_accepted_and_stored(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender()
    answer = sender.post(payload("alertmanager-firing.json"))
    assert answer.status_code == 202, answer.content
    assert answer.json()["stored"] == 2
    stored = Signal.objects.get(fingerprint="b3a5d4c2e1f00001")
    assert (stored.status, stored.name, stored.severity) == ("firing", "InstanceDown", "critical")
    assert stored.labels["instance"] == "db-1:9100"
    assert stored.ends_at is None  # Go's zero time means "not set"


def test_resent_alert_does_not_duplicate_signal(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender()
    for _ in range(3):
        assert sender.post(payload("alertmanager-firing.json")).status_code == 202
    assert Signal.objects.count() == 2
    assert Signal.objects.get(fingerprint="b3a5d4c2e1f00001").received_count == 3


def test_resolved_alert_updates_its_signal(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GRAFANA)
    assert sender.post(payload("grafana-firing.json")).status_code == 202
    assert sender.post(payload("grafana-resolved.json")).status_code == 202
    signal = Signal.objects.get()
    assert signal.status == "resolved"
    assert [s for _, s in signal.transitions] == ["firing", "resolved"]


def test_plain_component_status_from_curl(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    answer = sender.post({"component": "API", "status": "major_outage", "summary": "down"})
    assert answer.status_code == 202
    signal = Signal.objects.get()
    assert (signal.status, signal.severity, signal.labels) == (
        "firing",
        "major_outage",
        {"component": "API"},
    )


def test_signed_request_is_accepted_once(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GENERIC, signed=True)
    body = json.dumps(_generic()).encode()
    stamp = str(int(time.time()))
    headers = {
        "Authorization": "",
        "X-Candor-Timestamp": stamp,
        "X-Candor-Signature": auth.sign(sender.source.signing_secret, stamp, body),
    }
    assert sender.post(body, **headers).status_code == 202
    replay = sender.post(body, **headers)
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]
    assert Signal.objects.count() == 1


def _refused(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/json"
    assert Signal.objects.count() == 0
    return dict(answer.json())


def test_wrong_token_is_refused(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender()
    body = _refused(sender.post(payload("alertmanager-firing.json"), Authorization="Bearer x"), 401)
    assert body["detail"] == "Wrong token for this source."
    _refused(sender.post(payload("alertmanager-firing.json"), Authorization=""), 401)


def test_bad_signature_is_refused(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GENERIC, signed=True)
    body = json.dumps(_generic()).encode()
    stamp = str(int(time.time()))
    good = auth.sign(sender.source.signing_secret, stamp, body)
    wrong = {"X-Candor-Timestamp": stamp, "X-Candor-Signature": "sha256=" + "0" * 64}
    assert _refused(sender.post(body, **wrong), 401)["detail"] == "Bad signature."
    old = str(int(time.time()) - 600)
    stale = {"X-Candor-Timestamp": old, "X-Candor-Signature": auth.sign("x", old, body)}
    assert "window" in _refused(sender.post(body, **stale), 401)["detail"]
    tampered = {"X-Candor-Timestamp": stamp, "X-Candor-Signature": good}
    _refused(sender.post(body.replace(b"Probe", b"Prove"), **tampered), 401)


def test_unknown_source_is_not_found(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender()
    answer = sender.client.post("/api/ingest/nope/", data="{}", content_type="application/json")
    _refused(answer, 404)


def test_oversized_body_is_refused(make_sender: Callable[..., Sender], settings: Any) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    big = _generic(summary="x" * (settings.CANDOR_INGEST_MAX_BODY))
    assert "larger than" in _refused(sender.post(big), 413)["detail"]


def test_wrong_content_type_is_refused(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    _refused(sender.post(json.dumps(_generic()), content_type="text/plain"), 415)


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ('{"signals": [', "body", "Malformed JSON"),
        ("[" * 100_000 + "]" * 100_000, "body", "nested deeper"),
        ('{"signals": [{"a": ' + "[" * 40 + "1" + "]" * 40 + "}]}", "body", "nested deeper"),
        (_generic(colour="red"), "signals[0].colour", "unknown field"),
        ({"signals": [], "extra": 1}, "extra", "unknown field"),
        ({"signals": [{"status": "firing", "name": "x"}]}, "signals[0].fingerprint", "required"),
        (_generic(status="burning"), "signals[0].status", "'firing' or 'resolved'"),
        (_generic(starts_at="1970-01-01T00:00:00Z"), "signals[0].starts_at", "plausible"),
        (_generic(starts_at="2999-01-01T00:00:00Z"), "signals[0].starts_at", "plausible"),
        (_generic(starts_at="2026-11-23T19:00:00"), "signals[0].starts_at", "UTC offset"),
        ({"component": "API"}, "status", "must be firing"),
    ],
)
def test_bad_generic_input_is_refused_naming_the_field(
    make_sender: Callable[..., Sender], body: Any, field: str, reason: str
) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    answer = _refused(sender.post(body), 400)
    assert answer["detail"] == "Invalid input."
    assert reason in answer["errors"][field][0]


def test_alertmanager_payload_missing_fields_is_refused(
    make_sender: Callable[..., Sender],
) -> None:
    sender = make_sender()
    document = payload("alertmanager-firing.json")
    del document["alerts"][1]["startsAt"]
    answer = _refused(sender.post(document), 400)
    assert "required" in answer["errors"]["alerts[1].startsAt"][0]
    document = payload("alertmanager-firing.json")
    document["version"] = "3"
    _refused(sender.post(document), 400)


def test_alertmanager_fields_added_by_newer_versions_are_ignored(
    make_sender: Callable[..., Sender],
) -> None:
    sender = make_sender()
    document = payload("alertmanager-firing.json")
    document["someFutureField"] = {"x": 1}
    document["alerts"][0]["anotherNewField"] = "y"
    assert sender.post(document).status_code == 202


def test_over_the_rate_is_429_with_retry_after(make_sender: Callable[..., Sender]) -> None:
    sender = make_sender(format=SourceFormat.GENERIC, rate_per_second=1, burst=2)
    assert sender.post(_generic()).status_code == 202
    assert sender.post(_generic()).status_code == 202
    answer = sender.post(_generic(fingerprint="f2"))
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) >= 1
    assert answer["X-Candor-Shed"] == "rate"
    assert Signal.objects.count() == 1  # the refused one was not stored


def test_over_the_rate_an_alertmanager_source_is_told_503_which_alertmanager_retries(
    make_sender: Callable[..., Sender],
) -> None:
    """Alertmanager 0.25 drops a batch answered 429 until the next group_interval (5 min by
    default) and retries a 503 with backoff (measured against the real binary: 1 request
    in 20 s for 429, 8 for 503)."""
    sender = make_sender(format=SourceFormat.ALERTMANAGER, rate_per_second=1, burst=2)
    assert sender.post(payload("alertmanager-firing.json")).status_code == 202
    answer = sender.post(payload("alertmanager-firing.json"))
    assert answer.status_code == 503
    assert int(answer["Retry-After"]) >= 1
    assert answer["X-Candor-Shed"] == "rate"


def test_without_redis_each_process_keeps_its_own_bucket(
    make_sender: Callable[..., Sender], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    monkeypatch.setattr(admission, "_client", None)
    monkeypatch.setattr(admission, "_script", None)
    sender = make_sender(format=SourceFormat.GENERIC, rate_per_second=1, burst=2)
    codes = [sender.post(_generic(fingerprint=f"f{i}")).status_code for i in range(3)]
    assert codes == [202, 202, 429]
    assert Signal.objects.count() == 2


def test_a_rotated_token_works_at_once_though_the_source_was_cached(
    make_sender: Callable[..., Sender],
) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    assert sender.post(_generic(fingerprint="before")).status_code == 202  # now cached
    _, token = sources.source_rotate_token(actor=Actor.system("t"), source=sender.source)
    answer = sender.post(_generic(fingerprint="after"), Authorization=f"Bearer {token}")
    assert answer.status_code == 202


def test_the_console_counters_see_accepted_signals_and_rejects(
    make_sender: Callable[..., Sender],
) -> None:
    limited = make_sender(format=SourceFormat.GENERIC, rate_per_second=1, burst=2)
    for fingerprint in "abc":  # the third is over the rate
        limited.post(_generic(fingerprint=fingerprint))
    other = make_sender(name="curl", format=SourceFormat.GENERIC)
    other.post(_generic(), Authorization="Bearer wrong")
    counted = admission.stats([limited.source, other.source], now=timezone.now())
    assert (counted[limited.source.pk].accepted, counted[limited.source.pk].rejected) == (2, 1)
    assert counted[limited.source.pk].last_seen is not None
    assert (counted[other.source.pk].accepted, counted[other.source.pk].rejected) == (0, 1)


def test_the_console_counters_come_from_the_database_without_redis(
    make_sender: Callable[..., Sender], settings: Any
) -> None:
    sender = make_sender(format=SourceFormat.GENERIC)
    for fingerprint in "ab":
        assert sender.post(_generic(fingerprint=fingerprint)).status_code == 202
    settings.REDIS_URL = ""  # `make run`: no Redis, so no Redis counters

    counted = admission.stats([sender.source], now=timezone.now())[sender.source.pk]

    assert counted.accepted == 2
    assert counted.last_seen is not None
