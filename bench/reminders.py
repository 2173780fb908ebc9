"""Reminder benchmark: the claim sweep over 1,000 open incidents, and reminder lateness
with a real worker and beat.

    .venv/bin/python bench/reminders.py [--incidents 1000] [--spread 60] [--rounds 3]
                                        [--sweep-only]

1. A fresh PostgreSQL database `candor_bench_reminders`, migrated; 1,000 incidents opened
   through lifecycle (each plans its reminder, as in life) and one on-call contact.
2. The sweep timed in this process, 30 runs each: with nothing due (1,000 pending
   reminders, none yet due) and with every reminder due (it claims a batch of 500 per
   sweep); queries counted with CaptureQueriesContext. Two versions, interleaved over
   `--rounds` rounds (order alternating): `reminders_claim` as it runs on PostgreSQL (one
   statement) and the earlier three queries in a transaction (what SQLite still runs).
3. Lateness: the same reminders made due at random moments over the next `--spread`
   seconds, then a real `celery worker --beat` (2 prefork processes, Redis broker, the
   project's 5 s sweep schedule) sends them by email to an SMTP sink on loopback. Lateness
   is sent_at - send_at of each reminder.
Results go to bench/results/reminders-<time>.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A database, cache prefix, queue and directory of this run's own: two runs never meet.
RUN = f"{os.getpid()}"
DATABASE = f"candor_bench_reminders_{RUN}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/4",
    "CANDOR_CACHE_PREFIX": f"bench-reminders-{RUN}",
    "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    "CANDOR_VAR_DIR": str(ROOT / "var" / f"bench-reminders-{RUN}"),
    "CANDOR_CELERY_QUEUE": f"bench-reminders-{RUN}",
}
os.environ.update(ENV)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    for command in (["migrate"], ["collectstatic"]):  # the worker publishes the site too
        subprocess.run(
            [sys.executable, "manage.py", *command, "--noinput", "-v0"],
            cwd=ROOT, env={**os.environ}, check=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--spread", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sweep-only", action="store_true", help="skip the lateness part")
    parser.add_argument(
        "--no-vacuum", dest="vacuum", action="store_false",
        help="time each sweep right after the reset's UPDATE, without vacuuming",
    )  # fmt: skip
    args = parser.parse_args()

    prepare_database()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.approved import templates_install, words
    from incidents import lifecycle
    from incidents.audit import Actor
    from incidents.models import Reminder, ReminderState
    from incidents.publish.trigger import publishing_deferred
    from incidents.reminders.send import reminders_claim
    from incidents.reminders.services import contact_save
    from tests.reminders.smtp_sink import smtp_sink

    actor = Actor.system("bench")
    templates_install()
    contact_save(actor=actor, name="On call", email="oncall@example.com", on_call=True)
    started = time.monotonic()
    with publishing_deferred():  # one publish at the end, not one render per incident
        for n in range(args.incidents):
            now = timezone.now()
            body = words(
                "investigating", title=f"Incident {n}", components=[], started_at=now, now=now
            )
            lifecycle.incident_open(actor=actor, name=f"Incident {n}", body=body, now=now)
    print(f"opened {args.incidents} incidents in {time.monotonic() - started:.1f} s")
    # The deferred publish runs in this process's background thread (no worker here): a
    # whole render, inside one REPEATABLE READ transaction. Timed beside it, the sweep
    # measured that render: its snapshot kept VACUUM from removing the resets' dead rows
    # (worst of 30 grew from ~40 to ~260 ms over 120 sweeps, then fell back to ~25 ms when
    # it ended) and the two shared the GIL. Let it finish first.
    from incidents.publish.background import wait_idle

    started = time.monotonic()
    assert wait_idle(1800), "the background publish did not finish"
    print(f"waited {time.monotonic() - started:.1f} s for the background publish")
    pending = Reminder.objects.filter(state=ReminderState.PENDING)
    assert pending.count() == args.incidents

    from incidents.reminders import send

    def timed(claim: Any, now: datetime) -> tuple[list[float], int, int]:
        times, queries, claimed = [], 0, 0
        for _ in range(30):
            Reminder.objects.update(state=ReminderState.PENDING, claimed_at=None)
            if args.vacuum:
                # The reset leaves 1,000 dead row versions per sweep, 30 times over, which
                # no live table accumulates between autovacuum runs; untimed.
                with connection.cursor() as cursor:
                    cursor.execute(f"VACUUM {Reminder._meta.db_table}")
            with CaptureQueriesContext(connection) as captured:
                t = time.perf_counter()
                claimed = len(claim(now=now))
                times.append((time.perf_counter() - t) * 1000)
            queries = len(captured)
        return times, queries, claimed

    versions = {
        "one statement": reminders_claim,
        "three queries (before)": lambda now: send._claim_in_three_queries(now),
    }
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        v: {"nothing_due": [], "all_due": []} for v in versions
    }
    counted: dict[str, dict[str, tuple[int, int]]] = {v: {} for v in versions}
    for round_ in range(args.rounds):
        order = list(versions) if round_ % 2 == 0 else list(reversed(versions))
        for version in order:
            now = timezone.now()
            for case, at in (("nothing_due", now), ("all_due", now + timedelta(hours=1))):
                times, queries, claimed = timed(versions[version], at)
                runs[version][case].append(
                    {"median_ms": statistics.median(times), "max_ms": max(times)}
                )
                counted[version][case] = (queries, claimed)
    sweep = {
        version: {
            case: {
                "median_ms": statistics.median(r["median_ms"] for r in rounds),
                "worst_ms_median": statistics.median(r["max_ms"] for r in rounds),
                "worst_ms_min": min(r["max_ms"] for r in rounds),
                "worst_ms_max": max(r["max_ms"] for r in rounds),
                "queries": counted[version][case][0],
                "claimed": counted[version][case][1],
            }
            for case, rounds in cases.items()
        }
        for version, cases in runs.items()
    }
    print(json.dumps(sweep, indent=2))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"reminders-{stamp}"
    lines = [
        f"Reminders sweep, {args.incidents} open incidents, {args.rounds} interleaved rounds "
        "of 30 sweeps per version, 2 shared cores, PostgreSQL on loopback; "
        f"{'table vacuumed' if args.vacuum else 'no vacuum'} after each reset.",
        "",
        "| version | case | median ms | worst of 30, median of rounds | worst, min-max "
        "| queries | claimed |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for version, cases in sweep.items():
        for case, row in cases.items():
            lines.append(
                f"| {version} | {case.replace('_', ' ')} | {row['median_ms']:.2f} | "
                f"{row['worst_ms_median']:.2f} | {row['worst_ms_min']:.2f}-"
                f"{row['worst_ms_max']:.2f} | {row['queries']} | {row['claimed']} |"
            )
    if args.sweep_only:
        out.with_suffix(".json").write_text(json.dumps({"sweep": sweep}, indent=2) + "\n")
        out.with_suffix(".md").write_text("\n".join(lines) + "\n")
        drop_database()
        print(f"wrote {out}.md and .json")
        return

    # Lateness with the real worker and beat.
    start = timezone.now() + timedelta(seconds=10)
    for reminder_id in Reminder.objects.values_list("pk", flat=True):
        Reminder.objects.filter(pk=reminder_id).update(
            state=ReminderState.PENDING,
            claimed_at=None,
            send_at=start + timedelta(seconds=random.uniform(0, args.spread)),
        )
    connection.close()
    with smtp_sink() as (sink, port):
        env = {**os.environ, "CANDOR_SMTP_HOST": "127.0.0.1", "CANDOR_SMTP_PORT": str(port)}
        Path(ENV["CANDOR_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "statuspage", "worker", "--beat",
             "--concurrency=2", "--loglevel=WARNING", "--queues", ENV["CANDOR_CELERY_QUEUE"],
             "--schedule", str(Path(ENV["CANDOR_VAR_DIR"]) / "celerybeat-schedule")],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + args.spread + 120
            while time.monotonic() < deadline:
                if not Reminder.objects.exclude(state=ReminderState.SENT).exists():
                    break
                time.sleep(1)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        emails = len(sink.messages)
    rows = list(Reminder.objects.values_list("state", "send_at", "sent_at"))
    sent = [(s, a) for state, s, a in rows if state == ReminderState.SENT and a]
    lateness = [(a - s).total_seconds() for s, a in sent]
    result = {
        "incidents": args.incidents,
        "sweep": sweep,
        "lateness": {
            "sent": len(sent), "emails": emails, "spread_s": args.spread,
            "p50_s": percentile(lateness, 0.5), "p99_s": percentile(lateness, 0.99),
            "max_s": max(lateness),
        },
    }  # fmt: skip
    print(json.dumps(result["lateness"], indent=2))
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    late = result["lateness"]
    lines += [
        "",
        f"Lateness (sent - due), {late['sent']} reminders due over {late['spread_s']} s, "
        f"worker + beat: p50 {late['p50_s']:.2f} s, p99 {late['p99_s']:.2f} s, "
        f"max {late['max_s']:.2f} s; {late['emails']} emails received.",
    ]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    drop_database()
    print(f"wrote {out}.md and .json")


def drop_database() -> None:
    from django.db import connection

    connection.close()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
