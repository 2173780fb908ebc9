"""Ingest benchmark: Alertmanager webhooks at a sustained rate, then at ten times it.

Runs on loopback only, every load bounded by its duration. Candor runs as in production
(tests/faults/stack.py: its own PostgreSQL and Redis, granian with 2 workers and
`--blocking-threads 1`, a real Celery worker routing the signals, DEBUG off). The load
generator is an asyncio HTTP/1.1 client in this process (keep-alive connections), each
request an Alertmanager v4 payload of ALERTS alerts with fingerprints never sent before,
so every accepted signal is a row to find in the database afterwards.

  1. Sustained: the source's rate limit out of the way, CONNECTIONS connections sending
     as fast as answers come back: accepted signals per second, latency.
  2. Refusing: the source limited to 1 signal/s, the same closed loop: how fast the
     web workers answer 429 (what shedding a storm costs).
  3. Ten times the sustained rate: the source limited to LIMIT_SHARE of the sustained
     rate (headroom for refusing), the load offered open loop (a request every
     ALERTS/rate seconds whatever the answers, on up to 8x CONNECTIONS connections; one
     due while all are busy is counted "not sent"): the share of 429s, p99 latency of
     the accepted requests, 5xx count.
  4. Afterwards: signals in the database against signals accepted (lost = accepted but
     absent; extra = refused but present), and how long the worker took to route them.

    .venv/bin/python bench/ingest.py [--duration 20] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.stack import Stack, running_stack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ALERTS = 10  # per webhook: one Alertmanager group
# The source's limit in the tenfold phase, as a share of the sustained rate: headroom for
# the web workers to refuse the excess quickly.
LIMIT_SHARE = 0.5
SETUP = """
from incidents.audit import Actor
from incidents.ingest import sources
from incidents.models import Component
Component.objects.create(name="Database")
source, token = sources.source_create(
    actor=Actor.system("bench"), name="prom", format="alertmanager", hold_seconds=0,
    rate_per_second=10_000_000, burst=10_000_000)
sources.rule_add(actor=Actor.system("bench"), source=source, kind="service")
print(token)
"""
COUNT = """
from incidents.models import Signal, Proposal
print(Signal.objects.count(), Signal.objects.filter(routed_at__isnull=False).count(),
      Proposal.objects.count())
"""


@dataclass
class Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    accepted_ms: list[float] = field(default_factory=list)
    signals_accepted: int = 0
    errors: int = 0  # connection failures
    shed: int = 0  # answers marked X-Candor-Shed: 429, or 503 for an Alertmanager source
    not_sent: int = 0  # open loop: due while every connection was busy


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    offered_signals_per_s: float
    accepted_signals_per_s: float
    requests: int
    status_counts: dict[int, int]
    share_429: float
    p50_accepted_ms: float
    p99_accepted_ms: float
    server_errors: int
    connection_errors: int
    not_sent: int


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def template() -> bytes:
    """A webhook body with TAG where each alert's unique fingerprint goes."""
    now = datetime.now(UTC).isoformat()
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "InstanceDown", "service": "Database",
                       "instance": f"db-{i}", "severity": "critical"},
            "annotations": {"summary": "Instance down"},
            "startsAt": now,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"@TAG@-{i}",
        }
        for i in range(ALERTS)
    ]  # fmt: skip
    return json.dumps(
        {"version": "4", "groupKey": "{}:{alertname=\"InstanceDown\"}", "truncatedAlerts": 0,
         "status": "firing", "receiver": "candor", "groupLabels": {}, "commonLabels": {},
         "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "alerts": alerts}
    ).encode()  # fmt: skip


def payload(tag: str) -> bytes:
    return template().replace(b"@TAG@", tag.encode())


class Client:
    """Keep-alive HTTP/1.1 connections to Candor, one request in flight on each."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.template = template()
        self.head = (
            f"POST /api/ingest/prom/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0

    async def send(self, tag: str, tally: Tally) -> None:
        body = self.template.replace(b"@TAG@", tag.encode())
        request = self.head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        started = time.monotonic()
        link = self.idle.pop() if self.idle else None
        try:
            if link is None:
                self.open += 1
                link = await asyncio.open_connection("127.0.0.1", self.port)
            reader, writer = link
            writer.write(request)
            await writer.drain()
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = next(
                (int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length")),
                0,
            )
            await reader.readexactly(length)
            shed = any(h.lower().startswith("x-candor-shed:") for h in lines)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            tally.errors += 1
            if link is not None:
                link[1].close()
            self.open -= 1
            return
        self.idle.append(link)
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        tally.shed += shed
        if status == 202:
            tally.accepted_ms.append((time.monotonic() - started) * 1000)
            tally.signals_accepted += ALERTS

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def closed_loop(client: Client, name: str, deadline: float, tally: Tally) -> None:
    sequence = 0
    while time.monotonic() < deadline:
        await client.send(f"{name}-{sequence}", tally)
        sequence += 1


async def load(
    port: int, token: str, name: str, seconds: float, connections: int, rate: float
) -> tuple[Phase, Tally]:
    """Back to back on `connections` connections (rate 0), or open loop: a request every
    ALERTS/rate seconds whatever the answers, on up to `connections` connections (a
    request due when all are busy is counted as not sent, never queued)."""
    tally = Tally()
    client = Client(port, token)
    started = time.monotonic()
    deadline = started + seconds
    if not rate:
        await asyncio.gather(
            *(closed_loop(client, f"{name}-{c}", deadline, tally) for c in range(connections))
        )
    else:
        interval, pending, sequence = ALERTS / rate, set(), 0
        due = started
        while (now := time.monotonic()) < deadline:
            while due <= now:
                due += interval
                if client.open - len(client.idle) >= connections:
                    tally.not_sent += 1
                    continue
                task = asyncio.create_task(client.send(f"{name}-{sequence}", tally))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sequence += 1
            await asyncio.sleep(max(0.0, min(due - time.monotonic(), 0.005)))
        await asyncio.gather(*pending)
    client.close()
    took = time.monotonic() - started
    requests = sum(tally.statuses.values())
    return Phase(
        name=name,
        seconds=round(took, 2),
        offered_signals_per_s=round((requests + tally.errors + tally.not_sent) * ALERTS / took, 1),
        accepted_signals_per_s=round(tally.signals_accepted / took, 1),
        requests=requests,
        status_counts=dict(sorted(tally.statuses.items())),
        # Shed load (over the rate): 429, or 503 for Alertmanager, which retries only 5xx.
        share_429=round(tally.shed / requests, 4) if requests else 0.0,
        p50_accepted_ms=round(percentile(tally.accepted_ms, 0.50), 2),
        p99_accepted_ms=round(percentile(tally.accepted_ms, 0.99), 2),
        server_errors=sum(n for s, n in tally.statuses.items() if s >= 500)
        - (tally.shed - tally.statuses.get(429, 0)),
        connection_errors=tally.errors,
        not_sent=tally.not_sent,
    ), tally


def counts(stack: Stack) -> tuple[int, int, int]:
    stored, routed, proposals = stack.manage("shell", "--no-imports", "-c", COUNT).split()
    return int(stored), int(routed), int(proposals)


def set_rate(stack: Stack, rate: int) -> None:
    stack.manage(
        "shell", "--no-imports", "-c",
        f"from incidents.models import Source; "
        f"Source.objects.filter(name='prom').update(rate_per_second={rate}, burst={rate})",
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="candor-bench-ingest-"))
    with running_stack(root / "stack", web_workers=2) as stack:
        stack.start_worker()
        token = stack.manage("shell", "--no-imports", "-c", SETUP).strip().splitlines()[-1]
        port = stack.web_port
        _, warm = asyncio.run(load(port, token, "warmup", 3, args.connections, 0))

        sustained, first = asyncio.run(
            load(port, token, "sustained", args.duration, args.connections, 0)
        )
        set_rate(stack, 1)
        time.sleep(2.5)
        refusing, third = asyncio.run(
            load(port, token, "refusing", args.duration / 2, args.connections, 0)
        )
        limit = max(1, int(sustained.accepted_signals_per_s * LIMIT_SHARE))
        set_rate(stack, limit)
        time.sleep(2.5)  # sources are re-read within 2 s; the bucket starts full
        storm, second = asyncio.run(
            load(
                port,
                token,
                "tenfold",
                args.duration,
                args.connections * 8,
                sustained.accepted_signals_per_s * 10,
            )
        )

        ended = time.monotonic()
        accepted = sum(t.signals_accepted for t in (warm, first, third, second))
        stored = routed = proposals = 0
        while time.monotonic() - ended < 120:
            stored, routed, proposals = counts(stack)
            if routed >= stored:
                break
            time.sleep(0.5)
        routing_lag = time.monotonic() - ended
    results = {
        "alerts_per_request": ALERTS,
        "connections": args.connections,
        "phases": [asdict(sustained), asdict(refusing), asdict(storm)],
        "rate_limit_signals_per_s": limit,
        "signals_accepted": accepted,
        "signals_in_database": stored,
        "accepted_but_lost": max(0, accepted - stored),
        "refused_but_stored": max(0, stored - accepted),
        "signals_routed": routed,
        "routing_done_after_s": round(routing_lag, 1),
        "proposals": proposals,
    }
    report(results)
    return 0


def report(results: dict[str, object]) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    phases: list[dict[str, object]] = results["phases"]  # type: ignore[assignment]
    lines = [
        f"One run, {datetime.now(UTC):%Y-%m-%d}, loopback, 2 cores; Alertmanager webhooks of "
        f"{results['alerts_per_request']} alerts each; granian 2 workers, PostgreSQL, Redis, "
        "1 Celery worker.",
        "",
        "| phase | offered signals/s | accepted signals/s | requests | shed share | "
        "p50 accepted ms | p99 accepted ms | 5xx | conn. errors | not sent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in phases:
        lines.append(
            f"| {p['name']} | {p['offered_signals_per_s']:,.0f} | "
            f"{p['accepted_signals_per_s']:,.0f} | {p['requests']:,} | "
            f"{float(p['share_429']):.1%} | {p['p50_accepted_ms']} | {p['p99_accepted_ms']} | "  # type: ignore[arg-type]
            f"{p['server_errors']} | {p['connection_errors']} | {p['not_sent']} |"
        )
    lines += [
        "",
        f"Rate limit in the tenfold phase: {results['rate_limit_signals_per_s']:,} signals/s "
        f"({LIMIT_SHARE:.0%} of the sustained rate). "
        f"Signals accepted: {results['signals_accepted']:,}; in the database: "
        f"{results['signals_in_database']:,}; accepted but lost: {results['accepted_but_lost']}; "
        f"refused but stored: {results['refused_but_stored']}. "
        f"All routed by the worker {results['routing_done_after_s']} s after the load "
        f"({results['signals_routed']:,} routed); proposals made: {results['proposals']}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"ingest-{stamp}.md").write_text(text)
    (RESULTS / f"ingest-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
