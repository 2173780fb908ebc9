"""Send forecast benchmark: how long a responder waits for the forecast of an update
reaching 100,000 SMS and 100,000 email subscribers (the same work the SMS cost cap check
does inside the post's transaction).

    .venv/bin/python bench/forecast.py [--sms 100000] [--email 100000] [--rounds 5]

1. A fresh PostgreSQL database of its own, migrated; one incident opened through
   lifecycle with nobody subscribed; then the subscribers inserted with bulk_create:
   SMS numbers spread over US, CA and GB, all confirmed, all components.
2. Interleaved rounds (order alternating), 5 runs each per round:
   - forecast: `drafts.incident_update_forecast`, as the console and the API call it
     (count per channel, render the SMS once, read and price every SMS number by the
     country stored when it subscribed);
   - reference: the cheapest honest way to the same figures' inputs, the count per
     channel and the SMS count per stored country, with no rendering and no pricing.
   The difference is what rendering and pricing cost. (The first version parsed every
   number with phonenumbers at forecast time: 21 s median for 100,000 numbers under
   load, bench/results/forecast-20261207T003946Z.md; hence the stored country. Reading
   the 100,000 rows into Python to count them by country still took 3.3 s against 0.8 s
   for the bare selection, forecast-20261207T004822Z.md; hence the count in SQL.)
Results go to bench/results/forecast-<time>.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUN = f"{os.getpid()}"
DATABASE = f"candor_bench_forecast_{RUN}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/4",
    "CANDOR_CACHE_PREFIX": f"bench-forecast-{RUN}",
    "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    "CANDOR_VAR_DIR": str(ROOT / "var" / f"bench-forecast-{RUN}"),
    "CANDOR_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "CANDOR_TWILIO_AUTH_TOKEN": "bench-token",
    "CANDOR_TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32,
}
os.environ.update(ENV)
# +1 area codes of the US and Canada, and a UK mobile block: 10,000 numbers each.
BLOCKS = ["+1212555", "+1415555", "+1646555", "+1202555", "+1312555", "+1617555",
          "+1416555", "+1604555", "+44740012", "+44770012"]  # fmt: skip


def prepare_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT, env={**os.environ}, check=True,
    )  # fmt: skip


def drop_database() -> None:
    from django.db import connection

    connection.close()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sms", type=int, default=100_000)
    parser.add_argument("--email", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one forecast")
    args = parser.parse_args()

    prepare_database()
    import django

    django.setup()
    from django.utils import timezone

    from bench.approved import templates_install, words
    from incidents import lifecycle
    from incidents.audit import Actor
    from incidents.models import Subscriber, SubscriberState
    from incidents.notify.costs import drafts, pricing
    from incidents.notify.outbox import wanting_by_prefix, wanting_counts

    try:
        templates_install()
        now = timezone.now()
        incident = lifecycle.incident_open(
            actor=Actor.system("bench"), name="Payments",
            body=words("investigating", title="Payments", components=[], started_at=now,
                       now=now),
        )  # fmt: skip
        numbers = [f"{BLOCKS[n % len(BLOCKS)]}{n // len(BLOCKS):04d}" for n in range(args.sms)]
        # Each with the prefix subscribing stores: the country, the domain.
        rows = [("sms", number, pricing.sms_country(number)) for number in numbers]
        rows += [("email", f"reader{n}@example.com", "example.com") for n in range(args.email)]
        started = time.monotonic()
        Subscriber.objects.bulk_create(
            (
                Subscriber(channel=channel, destination=destination, prefix=prefix,
                           created_at=now, confirmed_at=now, state=SubscriberState.CONFIRMED)
                for channel, destination, prefix in rows
            ),
            batch_size=5000,
        )  # fmt: skip
        print(f"{len(rows)} subscribers in {time.monotonic() - started:.1f} s")
        body = words("identified", title="Payments", components=[], started_at=now, now=now)

        def forecast() -> object:
            pricing.sms_country.cache_clear()  # every post prices its numbers afresh
            return drafts.incident_update_forecast(
                incident=incident, body=body, status="identified", body_limit=20_000
            )

        def reference() -> object:
            from incidents.models import IncidentUpdate

            draft = IncidentUpdate(incident=incident, status="identified", body=body)
            counts = wanting_counts(draft, [])
            return counts, wanting_by_prefix(draft, [], channel="sms")

        result = drafts.incident_update_forecast(
            incident=incident, body=body, status="identified", body_limit=20_000
        )
        sms = next(c for c in result.channels if c.channel == "sms")
        print(f"forecast: {result.messages} messages, SMS {sms.segments} segments, "
              f"{result.cost:.2f} {result.currency}, {result.seconds:.0f} s")  # fmt: skip
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(forecast)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return
        timings: dict[str, list[float]] = {"forecast": [], "reference": []}
        for round_ in range(args.rounds):
            order = ["forecast", "reference"] if round_ % 2 == 0 else ["reference", "forecast"]
            for name in order:
                call = forecast if name == "forecast" else reference
                for _ in range(args.runs):
                    began = time.perf_counter()
                    call()
                    timings[name].append((time.perf_counter() - began) * 1000)
        lines = [
            f"# Send forecast, {args.sms:,} SMS + {args.email:,} email subscribers",
            "",
            f"{args.rounds} interleaved rounds x {args.runs} runs; load average "
            f"{os.getloadavg()[0]:.1f}.",
            "",
            "| what | median ms | min ms | max ms |",
            "|---|---:|---:|---:|",
        ]
        for name, values in timings.items():
            lines.append(
                f"| {name} | {statistics.median(values):.0f} | {min(values):.0f} | "
                f"{max(values):.0f} |"
            )
        print("\n".join(lines))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = ROOT / "bench" / "results" / f"forecast-{stamp}"
        out.with_suffix(".json").write_text(json.dumps(timings))
        out.with_suffix(".md").write_text("\n".join(lines) + "\n")
        print(f"wrote {out}.md and .json")
    finally:
        drop_database()


if __name__ == "__main__":
    main()
