"""Ingest benchmark: one alert per request, as fast as answers come, then ten times that
offered open loop; two versions of Candor in interleaved rounds.

Runs on loopback only, every phase bounded by its duration. Each run has its own
PostgreSQL database on the machine's server (fsync on, as in production: every accepted
signal waits for its WAL flush), its own Redis server on a free port and free ports for
the web servers; one Celery worker routes the signals. Each request is an Alertmanager
v4 webhook of ALERTS alert(s) whose fingerprint was never sent before, so every accepted
signal is a row to find afterwards.

Per round, per version (order alternating between rounds): granian (2 workers) starts
from that version's code with its thread count, then

  1. sustained: the source's rate limit out of the way, CONNECTIONS keep-alive
     connections, each sending its next request when the last is answered;
  2. tenfold: the source limited to LIMIT_SHARE of the sustained rate, and ten times the
     sustained rate offered open loop: requests are scheduled at a fixed rate whatever
     the answers, and written at once on one of CONNECTIONS connections (HTTP/1.1
     pipelining: a request never waits for an earlier answer to be sent). Reported:
     offered (scheduled), sent (fully handed to the kernel before the phase ended),
     answered (within DRAIN seconds after it), accepted, shed (503/429 marked
     X-Candor-Shed), and latency from each request's scheduled time.

Afterwards: signals in the database against signals answered 202.

    .venv/bin/python bench/ingest.py --baseline /path/to/older/checkout \\
        [--baseline-threads 1] [--threads 8] [--rounds 3] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.postgres import free_port  # noqa: E402
from tests.faults.stack import PrivateRedis, wait_for_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LIMIT_SHARE = 0.5  # the tenfold phase's rate limit, as a share of the sustained rate
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
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


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def template(alerts: int) -> bytes:
    """A webhook body with @TAG@ where each alert's unique fingerprint goes."""
    now = datetime.now(UTC).isoformat()
    items = [
        {
            "status": "firing",
            "labels": {"alertname": "InstanceDown", "service": "Database",
                       "instance": f"db-{i}", "severity": "critical"},
            "annotations": {"summary": "Instance down"},
            "startsAt": now, "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": f"@TAG@-{i}",
        }
        for i in range(alerts)
    ]  # fmt: skip
    return json.dumps(
        {"version": "4", "groupKey": '{}:{alertname="InstanceDown"}', "truncatedAlerts": 0,
         "status": "firing", "receiver": "candor", "groupLabels": {}, "commonLabels": {},
         "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "alerts": items}
    ).encode()  # fmt: skip


@dataclass
class Tally:
    offered: int = 0  # scheduled (open loop) or attempted (closed loop)
    sent: int = 0
    answered: int = 0
    accepted: int = 0  # requests answered 202
    shed: int = 0  # answers marked X-Candor-Shed (over the source's rate)
    server_errors: int = 0  # 5xx that were not shedding
    other: int = 0  # any other answer (4xx): a bug in this bench or the server
    connection_errors: int = 0
    latency_ms: list[float] = field(default_factory=list)  # of accepted requests
    last_answer: float = 0.0


class Link:
    """One keep-alive connection; requests written back to back, answers read in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.written = 0  # bytes given to the transport
        self.ends: list[int] = []  # each request's last byte offset
        self.waiting: list[float] = []  # scheduled times of requests not yet answered
        self.alive = True

    def flushed(self) -> int:
        """Bytes the kernel has taken (what asyncio still buffers is not sent)."""
        return self.written - self.writer.transport.get_write_buffer_size()


async def read_answer(link: Link, tally: Tally) -> bool:
    """Read the next answer on the link and count it; False once the link is broken."""
    try:
        head = await link.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, shed = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "x-candor-shed":
                shed = True
        await link.reader.readexactly(length)
        scheduled = link.waiting.pop(0)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        link.alive = False
        tally.connection_errors += 1
        return False
    now = time.monotonic()
    tally.answered += 1
    tally.last_answer = now
    if status == 202:
        tally.accepted += 1
        tally.latency_ms.append((now - scheduled) * 1000)
    elif shed:
        tally.shed += 1
    elif status >= 500:
        tally.server_errors += 1
    else:
        tally.other += 1
    return True


async def read_answers(link: Link, tally: Tally) -> None:
    while await read_answer(link, tally):
        pass


async def connect(port: int, count: int) -> list[Link]:
    pairs = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(count))
    )
    return [Link(r, w) for r, w in pairs]


def request_bytes(head: bytes, body_template: bytes, tag: str) -> bytes:
    body = body_template.replace(b"@TAG@", tag.encode())
    return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def closed_loop(
    port: int, head: bytes, body: bytes, name: str, seconds: float, connections: int, alerts: int
) -> Tally:
    """Each connection sends its next request when the last one is answered."""
    tally = Tally()
    links = await connect(port, connections)
    deadline = time.monotonic() + seconds

    async def one(c: int, link: Link) -> None:
        sequence = 0
        while time.monotonic() < deadline:
            link.waiting.append(time.monotonic())
            link.writer.write(request_bytes(head, body, f"{name}-{c}-{sequence}"))
            tally.offered += 1
            tally.sent += 1
            sequence += 1
            if not await read_answer(link, tally):
                return

    await asyncio.gather(*(one(c, link) for c, link in enumerate(links)))
    for link in links:
        link.writer.close()
    return tally


async def open_loop(
    port: int,
    head: bytes,
    body: bytes,
    name: str,
    seconds: float,
    connections: int,
    rate: float,
    drain: float,
    alerts: int,
) -> Tally:
    """Requests scheduled at `rate` per second whatever the answers, each written at once
    on the next live connection (pipelined); answers awaited up to `drain` seconds after
    the last is scheduled, then everything is closed."""
    tally = Tally()
    links = await connect(port, connections)
    readers = [asyncio.create_task(read_answers(link, tally)) for link in links]
    start = time.monotonic()
    deadline = start + seconds
    turn = 0
    while (now := time.monotonic()) < deadline:
        due = min(int((now - start) * rate), int(seconds * rate)) - tally.offered
        batches: dict[int, list[bytes]] = {}
        for _ in range(due):
            scheduled = start + tally.offered / rate
            tally.offered += 1
            for _ in range(len(links)):  # the next live connection
                turn = (turn + 1) % len(links)
                if links[turn].alive:
                    break
            else:
                continue  # none left: never sent
            link = links[turn]
            data = request_bytes(head, body, f"{name}-{tally.offered}")
            link.waiting.append(scheduled)
            link.ends.append(link.written + sum(map(len, batches.get(turn, []))) + len(data))
            batches.setdefault(turn, []).append(data)
        for index, parts in batches.items():
            data = b"".join(parts)
            links[index].writer.write(data)
            links[index].written += len(data)
        await asyncio.sleep(0.001)
    # Sent: every byte of the request handed to the kernel by the end of the phase.
    tally.sent = sum(bisect.bisect_right(link.ends, link.flushed()) for link in links)
    until = time.monotonic() + drain
    while time.monotonic() < until and any(link.waiting and link.alive for link in links):
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    for link in links:
        link.writer.close()
    return tally


def summary(tally: Tally, seconds: float, started: float, alerts: int) -> dict[str, Any]:
    span = max(seconds, (tally.last_answer - started) if tally.last_answer else seconds)
    return {
        "offered_per_s": round(tally.offered / seconds, 1),
        "sent_share": round(tally.sent / tally.offered, 4) if tally.offered else 0.0,
        "answered_share": round(tally.answered / tally.sent, 4) if tally.sent else 0.0,
        "accepted_signals_per_s": round(tally.accepted * alerts / span, 1),
        "shed_share": round(tally.shed / tally.answered, 4) if tally.answered else 0.0,
        "p50_accepted_ms": round(percentile(tally.latency_ms, 0.5), 1),
        "p99_accepted_ms": round(percentile(tally.latency_ms, 0.99), 1),
        **{k: v for k, v in asdict(tally).items() if k not in ("latency_ms", "last_answer")},
    }


@dataclass
class Run:
    root: Path
    database: str
    redis: PrivateRedis
    env: dict[str, str]
    token: str = ""
    accepted_signals: int = 0  # answered 202 in any phase, warm-up included

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def manage(self, code: Path, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=code, env=self.env, capture_output=True,
            timeout=300, check=True,
        )  # fmt: skip
        return done.stdout.decode()

    def set_rate(self, rate: int) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                "UPDATE incidents_source SET rate_per_second = %s, burst = %s WHERE name = 'prom'",
                (rate, rate),
            )
        time.sleep(2.5)  # each web process re-reads its source within 2 s

    def serve(self, code: Path, threads: int) -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        granian = Path(sys.executable).parent / "granian"
        process = subprocess.Popen(
            [str(granian), "--interface", "wsgi", "statuspage.wsgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
             "--blocking-threads", str(threads), "--no-ws", "--log-level", "warning"],
            cwd=code, env=self.env, stdout=open(self.root / "web.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for_port(port)
        return process, port


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(run: Run, code: Path, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    process, port = run.serve(code, threads)
    head = (
        f"POST /api/ingest/prom/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {run.token}\r\nContent-Type: application/json\r\n"
    ).encode()
    body = template(args.alerts)
    tag = f"{code.name}-{time.monotonic_ns()}"
    try:
        run.set_rate(10_000_000)
        warm = asyncio.run(
            closed_loop(port, head, body, f"{tag}-w", 2, args.connections, args.alerts)
        )
        started = time.monotonic()
        tally = asyncio.run(
            closed_loop(port, head, body, f"{tag}-s", args.duration, args.connections, args.alerts)
        )
        sustained = summary(tally, args.duration, started, args.alerts)
        rate = sustained["accepted_signals_per_s"]
        run.set_rate(max(1, int(rate * LIMIT_SHARE)))
        started = time.monotonic()
        storm = asyncio.run(
            open_loop(
                port, head, body, f"{tag}-t", args.duration, args.connections,
                10 * rate / args.alerts, args.drain, args.alerts,
            )
        )  # fmt: skip
        tenfold = summary(storm, args.duration, started, args.alerts)
        run.accepted_signals += (warm.accepted + tally.accepted + storm.accepted) * args.alerts
    finally:
        stop(process)
    return {"sustained": sustained, "tenfold": tenfold}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    parser.add_argument("--baseline-threads", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8, help="as the Makefile serves")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--alerts", type=int, default=1, help="alerts per request")
    parser.add_argument("--drain", type=float, default=10.0)
    args = parser.parse_args()
    # Stopped early, it still stops its servers and drops its database (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    versions = {"new": (ROOT, args.threads)}
    if args.baseline:
        versions = {"old": (args.baseline.resolve(), args.baseline_threads), **versions}

    root = Path(tempfile.mkdtemp(prefix="candor-bench-ingest-"))
    database = f"candor_bench_ingest_{os.getpid()}"
    redis = PrivateRedis(free_port())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis.url,
        "CANDOR_VAR_DIR": str(root / "var"),
        "CANDOR_PUBLISH_TARGETS": "local",
        "CANDOR_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CANDOR_LOG_LEVEL": "WARNING",
    }
    run = Run(root, database, redis, env)
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        fsync = conn.execute("SHOW fsync").fetchone()[0]  # type: ignore[index]
        conn.execute(f"CREATE DATABASE {database}")
    worker = None
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
    try:
        redis.start()
        run.manage(ROOT, "migrate", "--noinput", "-v0")
        run.manage(ROOT, "collectstatic", "--noinput", "-v0")
        run.token = run.manage(ROOT, "shell", "--no-imports", "-c", SETUP).split()[-1]
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "statuspage", "worker", "--pool=solo",
             "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
            cwd=ROOT, env=env, stdout=open(root / "worker.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        for round_ in range(args.rounds):
            order = list(versions) if round_ % 2 == 0 else list(reversed(versions))
            for name in order:
                code, threads = versions[name]
                measured = measure(run, code, threads, args)
                results[name].append(measured)
                print(name, round_ + 1, json.dumps(measured), flush=True)
        time.sleep(args.drain)  # answers still in flight when a server was stopped
        with psycopg.connect(run.url) as conn:
            stored = conn.execute("SELECT count(*) FROM incidents_signal").fetchone()[0]  # type: ignore[index]
    finally:
        if worker is not None:
            stop(worker)
        redis.stop()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(root, ignore_errors=True)
    report(results, versions, args, fsync=fsync, accepted=run.accepted_signals, stored=int(stored))
    return 0


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return (
        f"{fmt.format(statistics.median(values))} "
        f"({fmt.format(min(values))}-{fmt.format(max(values))})"
    )


def report(
    results: dict[str, list[dict[str, Any]]],
    versions: dict[str, tuple[Path, int]],
    args: argparse.Namespace,
    *,
    fsync: str,
    accepted: int,
    stored: int,
) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d}, loopback, 2 cores shared with other jobs; "
        f"{args.alerts} alert(s) per request; granian 2 workers; PostgreSQL fsync={fsync}; "
        f"{args.rounds} interleaved rounds of {args.duration:.0f} s per phase; "
        "median (min-max) of rounds.",
        "",
        "| version | threads | sustained accepted signals/s | p99 ms | tenfold offered req/s "
        "| sent | answered | accepted signals/s | shed | p99 accepted ms | 5xx | conn. errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in results.items():
        s = [r["sustained"] for r in rounds]
        t = [r["tenfold"] for r in rounds]
        lines.append(
            f"| {name} | {versions[name][1]} | "
            f"{spread([x['accepted_signals_per_s'] for x in s])} | "
            f"{spread([x['p99_accepted_ms'] for x in s])} | "
            f"{spread([x['offered_per_s'] for x in t])} | "
            f"{spread([100 * x['sent_share'] for x in t], '{:.1f}%')} | "
            f"{spread([100 * x['answered_share'] for x in t], '{:.1f}%')} | "
            f"{spread([x['accepted_signals_per_s'] for x in t])} | "
            f"{spread([100 * x['shed_share'] for x in t], '{:.1f}%')} | "
            f"{spread([x['p99_accepted_ms'] for x in t])} | "
            f"{sum(x['server_errors'] for x in s + t)} | "
            f"{sum(x['connection_errors'] for x in s + t)} |"
        )
    lines += [
        "",
        f"Signals answered 202: {accepted:,}; in the database: {stored:,}; "
        f"accepted but lost: {max(0, accepted - stored)}; "
        f"stored but not answered 202: {max(0, stored - accepted)}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"ingest-{stamp}.md").write_text(text)
    data = {"args": {k: str(v) for k, v in vars(args).items()}, "fsync": fsync,
            "accepted_signals": accepted, "stored_signals": stored, "rounds": results}  # fmt: skip
    (RESULTS / f"ingest-{stamp}.json").write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
