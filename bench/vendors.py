"""CPU cost of polling vendors: 50 vendors every 60 s, measured in the poller's process.

    .venv/bin/python bench/vendors.py                       # 3 rounds x 2 variants x 120 s
    .venv/bin/python bench/vendors.py --rounds 3 --seconds 180 --vendors 50

On loopback: a vendor server in a process of its own (its CPU is not counted) serves 50
Statuspage summary.json documents with ETag and Last-Modified; every 60 s it changes the
status of one component in `--changing` of them (5 by default), so most polls are 304 and
some are 200 with a change that moves a picked component. The poller runs in a fresh
process against a PostgreSQL database of this run's own (dropped at the end) and Redis
(a prefix and queue of its own): each vendor added through `vendor_add`, three of its
components picked; then it calls `poll_due()` every 15 s, as the beat task does, for
`--seconds`, and reports its own CPU time (every thread) over that wall time.

The reference, the cheapest honest way to do the same network work: one process, a plain
`requests` loop sending the same conditional GETs on the same schedule (etags in a dict),
no database, no parsing of a 304, `json.loads` of a 200. Variants alternate order round
by round (A/B, then B/A), so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN = str(os.getpid())
DATABASE = f"candor_bench_vendors_{RUN}"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENV = {
    "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/6",
    "CANDOR_CACHE_PREFIX": f"bench-vendors-{RUN}",
    "CANDOR_CELERY_QUEUE": f"bench-vendors-{RUN}",
    "CANDOR_VAR_DIR": os.path.join(tempfile.gettempdir(), f"candor-bench-vendors-{RUN}"),
    "CANDOR_ALLOWED_HOSTS": "127.0.0.1",
    "CANDOR_LOG_LEVEL": "WARNING",
    "CANDOR_VENDOR_ALLOW_PRIVATE": "true",  # the vendors are on loopback
}
SUMMARY = ROOT / "tests" / "vendors" / "documents" / "statuspage_summary.json"
STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage"]
TICK = 15.0  # the beat schedule's "vendors-poll"
INTERVAL = 60


# -- the vendors' server (its own process) ------------------------------------------------


def serve(port: int, vendors: int, changing: int) -> None:
    base = json.loads(SUMMARY.read_text())
    ids = [c["id"] for c in base["components"] if not c.get("group")]
    documents: dict[str, tuple[bytes, str, str]] = {}
    lock = threading.Lock()
    rng = random.Random(7)

    def publish(n: int, statuses: dict[str, str]) -> None:
        doc = json.loads(json.dumps(base))
        doc["page"]["name"] = f"Vendor {n}"
        for c in doc["components"]:
            c["status"] = statuses.get(c["id"], "operational")
        body = json.dumps(doc).encode()
        etag = '"' + sha256(body).hexdigest()[:16] + '"'
        with lock:
            documents[f"/v{n}/api/v2/summary.json"] = (body, etag, formatdate(usegmt=True))

    for n in range(vendors):
        publish(n, {})

    def change() -> None:
        while True:
            time.sleep(INTERVAL)
            for n in rng.sample(range(vendors), changing):
                publish(n, {rng.choice(ids[:3]): rng.choice(STATUSES)})

    threading.Thread(target=change, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with lock:
                found = documents.get(self.path)
            if found is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, etag, modified = found
            fresh = self.headers.get("If-None-Match") == etag
            self.send_response(304 if fresh else 200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "0" if fresh else str(len(body)))
            self.end_headers()
            if not fresh:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


# -- the two pollers (each a fresh process) ------------------------------------------------


def _ticks(seconds: float, tick: Any) -> dict[str, Any]:
    tick()  # warm-up: imports, connections, the first full fetch of every document
    cpu, wall = time.process_time(), time.monotonic()
    end = wall + seconds
    results: dict[str, int] = {}
    next_at = wall
    while True:
        next_at += TICK
        if next_at > end:
            break
        time.sleep(max(0.0, next_at - time.monotonic()))
        for key, count in tick().items():
            results[key] = results.get(key, 0) + count
    time.sleep(max(0.0, end - time.monotonic()))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return {"cpu": cpu, "wall": wall, "share": cpu / wall, "results": results}


def run_candor(port: int, vendors: int, seconds: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from incidents.audit import Actor
    from incidents.models import Vendor
    from incidents.vendors import service
    from incidents.vendors.poll import poll_due

    if not Vendor.objects.exists():
        actor = Actor.system("bench")
        for n in range(vendors):
            vendor = service.vendor_add(
                actor=actor, url=f"http://127.0.0.1:{port}/v{n}/api/v2/summary.json"
            )
            picks = list(vendor.components.values_list("external_id", flat=True)[:3])
            service.vendor_components_pick(actor=actor, vendor=vendor, external_ids=picks)
    Vendor.objects.update(next_poll_at=timezone.now())  # each round starts with all due
    return _ticks(seconds, poll_due)


def run_reference(port: int, vendors: int, seconds: float) -> dict[str, Any]:
    import requests

    urls = [f"http://127.0.0.1:{port}/v{n}/api/v2/summary.json" for n in range(vendors)]
    etags: dict[str, str] = {}
    due = dict.fromkeys(urls, 0.0)

    def tick() -> dict[str, int]:
        counts: dict[str, int] = {}
        now = time.monotonic()
        for url in urls:
            if due[url] > now:
                continue
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            with requests.Session() as session:  # as the poller: a connection per poll
                answer = session.get(url, headers=headers, timeout=10)
            if answer.status_code == 200:
                json.loads(answer.content)
                etags[url] = answer.headers.get("ETag", "")
            key = "not_modified" if answer.status_code == 304 else "fetched"
            counts[key] = counts.get(key, 0) + 1
            due[url] = now + INTERVAL
        return counts

    return _ticks(seconds, tick)


# -- the driver -------------------------------------------------------------------------


def _child(mode: str, port: int, vendors: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--port", str(port),
         "--vendors", str(vendors), "--seconds", str(seconds)],
        check=True, capture_output=True, text=True, env=os.environ, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vendors", type=int, default=50)
    parser.add_argument("--changing", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--child", choices=["serve", "candor", "reference"])
    args = parser.parse_args()
    if args.child == "serve":
        serve(args.port, args.vendors, args.changing)
        return
    if args.child:
        run = run_candor if args.child == "candor" else run_reference
        print(json.dumps(run(args.port, args.vendors, args.seconds)))
        return

    import psycopg

    sys.path.insert(0, str(ROOT))
    from tests.faults.postgres import free_port

    os.environ.update(ENV)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--child", "serve", "--port", str(port),
         "--vendors", str(args.vendors), "--changing", str(args.changing)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    runs: dict[str, list[dict[str, Any]]] = {"candor": [], "reference": []}
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, cwd=ROOT
        )
        for n in range(args.rounds):
            order = ["candor", "reference"] if n % 2 == 0 else ["reference", "candor"]
            for mode in order:
                result = _child(mode, port, args.vendors, args.seconds)
                runs[mode].append(result)
                print(f"round {n + 1} {mode}: {result}", flush=True)
    finally:
        server.terminate()
        server.wait()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        import redis

        client = redis.Redis.from_url(ENV["REDIS_URL"])
        client.delete(ENV["CANDOR_CELERY_QUEUE"])
        for key in client.scan_iter(match=f"{ENV['CANDOR_CACHE_PREFIX']}:*"):
            client.delete(key)
    report(runs, args)


def report(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        f"# Vendor polling, {args.vendors} vendors every {INTERVAL} s ({stamp})",
        "",
        f"{args.rounds} interleaved rounds of {args.seconds:.0f} s; "
        f"{args.changing} documents change each minute; load average "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| variant | CPU share of one core, median | min-max | CPU s per round | polls |",
        "|---|---:|---:|---:|---|",
    ]
    for mode, results in runs.items():
        shares = [r["share"] * 100 for r in results]
        cpu = statistics.median(r["cpu"] for r in results)
        polls = results[-1]["results"]
        lines.append(
            f"| {mode} | {statistics.median(shares):.3f}% | "
            f"{min(shares):.3f}-{max(shares):.3f}% | {cpu:.2f} | {polls} |"
        )
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results" / f"vendors-{stamp}"
    out.with_suffix(".md").write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
