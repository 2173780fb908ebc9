"""Publishing benchmark: how fast an update reaches the mirror, how fast the mirror serves,
and how long the whole site takes to render.

Runs on loopback only; every load is bounded by wrk's duration.

  1. Render: a site with 500 incidents (3 updates each, spread over 90 days) on this
     machine's PostgreSQL, rendered into a snapshot three times (median and worst).
  2. Update to mirror: Candor on its own PostgreSQL and Redis (tests/faults/stack.py),
     granian and a real Celery worker; 50 updates posted through the staff API, each
     timed from the API's answer to the mirror's current snapshot showing it. Then the
     same with the worker stopped (the web publishes in the request itself).
  3. Mirror throughput: nginx serving the mirror's `current` snapshot (the docker-compose
     mirror's config), against Candor's live views, same wrk run, same machine.

    .venv/bin/python bench/publish.py [--duration 10] [--connections 64] [--updates 50]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.approved import templates_install, words  # noqa: E402
from bench.run import Result, free_port, nginx_command, process, wait_for, wrk  # noqa: E402
from tests.faults.stack import Stack, running_stack  # noqa: E402

RENDER_DATABASE = "candor_bench_render"
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- 1. rendering 500 incidents -----------------------------------------------------------


def bench_render(incidents: int) -> dict[str, float]:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {RENDER_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {RENDER_DATABASE}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{RENDER_DATABASE}",
        REDIS_URL="redis://127.0.0.1:6379/5",
        CANDOR_PUBLISH_TARGETS="local",
        CANDOR_VAR_DIR=tempfile.mkdtemp(prefix="candor-bench-var-"),
        CANDOR_SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",  # noqa: S106
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    from incidents import lifecycle
    from incidents.audit import Actor
    from incidents.publish.snapshot import render_snapshot

    actor = Actor.system("bench")
    templates_install()
    with override_settings(CANDOR_PUBLISH_TARGETS=[]):  # no publish per seeded change
        group = lifecycle.group_create(actor=actor, name="Platform")
        components = [
            lifecycle.component_save(actor=actor, name=f"Service {n}", group=group, position=n)
            for n in range(8)
        ]
        now = datetime.now(UTC)
        for n in range(incidents):
            opened = now - timedelta(days=90) + timedelta(hours=n * 4.3)
            component = components[n % 8]
            say = functools.partial(
                words, title=f"Incident {n}", components=[component.name], started_at=opened
            )
            incident = lifecycle.incident_open(
                actor=actor, name=f"Incident {n}: elevated errors",
                body=say("investigating", now=opened), impact="minor",
                components={component: "degraded_performance"}, now=opened,
            )  # fmt: skip
            identified = opened + timedelta(minutes=20)
            lifecycle.update_post(
                actor=actor, incident=incident, body=say("identified", now=identified),
                status="identified", now=identified,
            )  # fmt: skip
            if n < incidents - 2:  # the two newest stay open
                resolved = opened + timedelta(minutes=50)
                lifecycle.incident_resolve(
                    actor=actor, incident=incident, body=say("resolved", now=resolved),
                    now=resolved,
                )  # fmt: skip
    timings, files, size = [], 0, 0
    for n in range(3):
        out = Path(settings.VAR_DIR) / f"render-{n}"
        started = time.perf_counter()
        snapshot = render_snapshot(out)
        timings.append(time.perf_counter() - started)
        files = len(snapshot.manifest.files)
        size = sum(e.size for e in snapshot.manifest.files.values())
    return {
        "incidents": incidents,
        "files": files,
        "bytes": size,
        "median_s": statistics.median(timings),
        "worst_s": max(timings),
    }


# -- 2. update to mirror -------------------------------------------------------------------


def _wait_for_text(path: Path, text: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if text in path.read_text():
                return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"{text!r} did not reach {path} within {timeout} s")


def bench_updates(stack: Stack, count: int, label: str) -> dict[str, float]:
    incident = stack.open_incident(f"Latency probe ({label})")
    page = stack.mirror / "current" / f"incidents/{incident}.html"
    _wait_for_text(page, "Latency probe")
    to_mirror, request = [], []
    for n in range(count):
        marker = f"Probe update {label} {n} of {count}."
        started = time.monotonic()
        stack.post_update(incident, marker)
        answered = time.monotonic()
        request.append(answered - started)
        to_mirror.append(_wait_for_text(page, marker) - answered)
        time.sleep(0.2)  # updates seconds apart, as people post them, not one burst
    return {
        "updates": count,
        "p50_s": percentile(to_mirror, 0.5),
        "p95_s": percentile(to_mirror, 0.95),
        "max_s": max(to_mirror),
        "request_p50_ms": percentile(request, 0.5) * 1000,
        "request_p95_ms": percentile(request, 0.95) * 1000,
    }


# -- 3. the mirror under load --------------------------------------------------------------


def nginx_mirror(directory: Path, mirror: Path, port: int) -> list[str]:
    """nginx with deploy/nginx-mirror.conf's server block, on a loopback port."""
    server = (ROOT / "deploy" / "nginx-mirror.conf").read_text()
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    server = server.replace("/srv/candor/mirror", str(mirror))
    return nginx_command(directory, f"include /etc/nginx/mime.types;\n{server}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=500)
    args = parser.parse_args()
    run = {"duration": args.duration, "connections": args.connections}

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)  # nginx's workers run as an unprivileged user
        (root / "stack").mkdir()
        with running_stack(root / "stack", web_workers=2) as stack:
            stack.start_worker()
            results["with_worker"] = bench_updates(stack, args.updates, "worker")
            stack.stop_worker()
            results["without_worker"] = bench_updates(stack, max(10, args.updates // 5), "alone")
            stack.manage("publish")
            port = free_port()
            with process(nginx_mirror(root, stack.mirror.resolve(), port)):
                wait_for(f"http://127.0.0.1:{port}/api/v2/status.json")
                base, live = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{stack.web_port}"
                served: list[Result] = [
                    wrk("nginx mirror: /", f"{base}/", **run),
                    wrk("nginx mirror: summary.json", f"{base}/api/v2/summary.json", **run),
                    wrk("Candor live (granian, 2 workers): /", f"{live}/", **run),
                    wrk("Candor live: summary.json", f"{live}/api/v2/summary.json", **run),
                ]
        results["serving"] = [r.__dict__ for r in served]
    results["render"] = bench_render(args.incidents)
    report(results, run)
    return 0


def report(results: dict[str, object], run: dict[str, int]) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    render: dict[str, float] = results["render"]  # type: ignore[assignment]
    worker: dict[str, float] = results["with_worker"]  # type: ignore[assignment]
    alone: dict[str, float] = results["without_worker"]  # type: ignore[assignment]
    served: list[dict[str, float]] = results["serving"]  # type: ignore[assignment]
    mirror_rps = served[0]["requests_per_second"]
    lines = [
        f"One run, {datetime.now(UTC):%Y-%m-%d}, loopback, 2 cores.",
        "",
        "| measure | p50 | p95 | max | request p50 | request p95 |",
        "|---|---:|---:|---:|---:|---:|",
        f"| update → mirror, worker running ({worker['updates']:.0f} updates) | "
        f"{worker['p50_s']:.3f} s | {worker['p95_s']:.3f} s | {worker['max_s']:.3f} s | "
        f"{worker['request_p50_ms']:.0f} ms | {worker['request_p95_ms']:.0f} ms |",
        f"| update → mirror, worker stopped ({alone['updates']:.0f} updates) | "
        f"{alone['p50_s']:.3f} s | {alone['p95_s']:.3f} s | {alone['max_s']:.3f} s | "
        f"{alone['request_p50_ms']:.0f} ms | {alone['request_p95_ms']:.0f} ms |",
        "",
        f"Rendering {render['incidents']:.0f} incidents: {render['files']:.0f} files, "
        f"{render['bytes'] / 1e6:.1f} MB, median {render['median_s']:.2f} s, "
        f"worst {render['worst_s']:.2f} s (3 renders).",
        "",
        f"wrk -t2 -c{run['connections']} -d{run['duration']}s:",
        "",
        "| target | req/s | p50 ms | p99 ms | errors | vs nginx mirror / |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in served:
        lines.append(
            f"| {r['name']} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['errors']:.0f} | "
            f"{r['requests_per_second'] / mirror_rps:.3f}x |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"publish-{stamp}.md").write_text(text)
    (RESULTS / f"publish-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
