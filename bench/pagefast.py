"""The status page at a realistic size, and what readers and staff wait for after a change.

    .venv/bin/python bench/pagefast.py [--components 80] [--incidents 1000] [--rounds 3]

In one process, on a database and Redis key prefix of its own (bench/seed.py's site):
1. the size of `/` and of uptime.json;
2. `/` served from Candor's cache vs a bare view returning the same bytes from memory, with
   Django's test client (same middleware, no HTTP server), interleaved rounds;
3. reader latency in the first second after an update, revalidating in the background (A)
   and rendering in the request (B, the old way), and idle;
4. a staff update through the API with no worker heartbeat: publishing in a background
   thread (A) against publishing inside the request (B, the old trigger).
Each measure alternates A and B for --rounds rounds; medians and min-max are printed and
written to bench/results/pagefast-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database: str, redis_db: int) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        CANDOR_ALLOWED_HOSTS="testserver,localhost,127.0.0.1",  # the test client's host too
        CANDOR_CACHE_PREFIX=f"bench-pagefast-{os.getpid()}",
        CANDOR_PUBLISH_TARGETS="local",
        CANDOR_VAR_DIR=tempfile.mkdtemp(prefix="candor-bench-pagefast-"),
        CANDOR_SECRET_KEY="bench-only-secret-key-not-for-production-use-0123456789",  # noqa: S106
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def timed_gets(client: object, path: str, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        client.get(path)  # type: ignore[attr-defined]
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=80)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--size-only", action="store_true", help="measure 1. only, print it")
    args = parser.parse_args()
    database = f"candor_bench_pagefast_{os.getpid()}"
    setup(database, 7)
    try:
        return run(args)
    finally:
        drop(database)


def drop(database: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def run(args: argparse.Namespace) -> int:

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from bench import urls as bench_urls
    from bench.approved import templates_install, words
    from bench.seed import seed_site
    from incidents import lifecycle, roles
    from incidents.audit import Actor
    from incidents.public import cache
    from incidents.publish import background

    templates_install()
    seed_site(components=args.components, incidents=args.incidents, days=90, now=timezone.now())
    client = Client()
    response = client.get("/")
    assert response.status_code == 200, response.content[:300]
    page = response.content
    results: dict[str, object] = {
        "components": args.components,
        "incidents": args.incidents,
        "page_bytes": len(page),
        "uptime_json_bytes": len(client.get("/uptime.json").content),
    }
    if args.size_only:
        print(json.dumps(results))
        return 0
    bench_urls.MEMORY["page"] = page

    # 2. Candor's cached / against the bare view, interleaved.
    candor, bare = [], []
    for _ in range(args.rounds):
        candor.append(timed_gets(client, "/", args.requests))
        bare.append(timed_gets(client, "/bench/bare-memory/", args.requests))
    results["serve_candor_rps"] = summary(candor)
    results["serve_bare_memory_rps"] = summary(bare)
    results["serve_ratio"] = summary([c / b for c, b in zip(candor, bare, strict=True)])

    # 3. Readers in the first second after an update.
    actor = Actor.system("bench")
    from incidents.models import CadencePolicy

    # Updates come seconds apart here, each promising the next in 30 minutes (the approved
    # template): a schedule of an update an hour keeps every such promise within it.
    CadencePolicy.objects.create(
        impact="minor", first_minutes=60, then_minutes=60, every_minutes=60,
        updated_at=timezone.now(),
    )  # fmt: skip
    opened = timezone.now()

    def say(phase: str) -> str:
        return words(
            phase, title="Bench incident", components=[], started_at=opened, now=timezone.now()
        )

    incident = lifecycle.incident_open(
        actor=actor, name="Bench incident", body=say("investigating"), impact="minor", now=opened
    )
    background.wait_idle(120)

    def probe_max(seconds: float) -> float:
        worst, deadline = 0.0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            client.get("/")
            worst = max(worst, time.perf_counter() - started)
        return worst * 1000

    after: dict[str, list[float]] = {"background": [], "in_request": [], "idle": []}
    for _ in range(args.rounds):
        for mode in ("background", "in_request"):
            settings.CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND = mode == "background"
            client.get("/")
            cache.revalidations_settled(60)
            lifecycle.update_post(
                actor=actor, incident=incident, body=say("identified"), status="identified"
            )
            after[mode].append(probe_max(1.0))
            cache.revalidations_settled(60)
            background.wait_idle(120)
        after["idle"].append(probe_max(1.0))
    settings.CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND = True
    results["probe_max_ms_after_update"] = {k: summary(v) for k, v in after.items()}

    # 4. A staff update with no worker heartbeat.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    responder = User.objects.create_user("bench-responder", is_staff=True)
    responder.groups.set(Group.objects.filter(name=roles.RESPONDER))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=responder).key}")
    # With no worker, request_publish hands the publish to `background.publish_soon`
    # (incidents/enqueue.py, Fallback.HERE); B runs that same publish inside the request,
    # as the trigger did before issue 16 (it rendered the whole site then).
    in_background = background.publish_soon

    def in_request() -> None:
        try:
            background._publish_task()
        except Exception:
            logging.getLogger(__name__).exception("publishing in-process failed")

    staff: dict[str, list[float]] = {"background": [], "in_request": []}
    for _ in range(args.rounds):
        for mode, publish in (("background", in_background), ("in_request", in_request)):
            background.publish_soon = publish
            started = time.perf_counter()
            response = api.post(
                f"/api/staff/incidents/{incident.public_id}/updates/",
                {"body": say("identified"), "status": "identified"},
                format="json",
            )
            staff[mode].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content
            background.wait_idle(120)
    background.publish_soon = in_background
    from incidents.models import PublishTarget
    from incidents.publish.versions import site_version

    published = PublishTarget.objects.get(name="local").last_version
    assert published == site_version(), (published, site_version())
    results["staff_update_ms_no_worker"] = {k: summary(v) for k, v in staff.items()}
    results["threads"] = threading.active_count()

    out = ROOT / "bench" / "results" / f"pagefast-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
