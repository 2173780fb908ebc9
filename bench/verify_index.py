"""Verify page benchmark: the bytes a reader's browser fetches to verify one notice, on a
site that has signed 10,000 notices, with the one notices index it had before and with
the index and shards it has now.

    .venv/bin/python bench/verify_index.py [--notices 10000] [--body 220] [--samples 200]

1. A fresh PostgreSQL database of its own, migrated; `--notices` notices signed through
   `signing.sign_notice` (the call every update goes through), each an incident update
   with `--body` characters of words, as a real page's are.
2. Before: `/verify/notices.json` as it was (every notice's code, signed bytes and
   signature in one document), serialised as the view serialises it.
   After: `/verify/notices.json` (the index) plus the one shard a code falls in, as the
   views answer them (the static copy holds the same bytes), for `--samples` codes
   picked at random: median and largest. Also gzip-compressed (nginx `gzip on`).
3. The keys document is fetched either way and is left out of both figures.
Results go to bench/results/verify-index-<time>.{md,json}.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
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
RUN = f"{os.getpid()}"
DATABASE = f"candor_bench_verify_{RUN}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/4",
    "CANDOR_CACHE_PREFIX": f"bench-verify-{RUN}",
    "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    "CANDOR_VAR_DIR": str(ROOT / "var" / f"bench-verify-{RUN}"),
    "CANDOR_SIGNING_DEV_KEY": "true",
}
os.environ.update(ENV)
WORDS = (
    "We are investigating elevated error rates on checkout and payment confirmation. "
    "Some card payments fail with a timeout; retrying usually works. "
)


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


def sign_many(count: int, body_chars: int) -> None:
    from incidents import signing

    started = datetime.now(UTC) - timedelta(days=400)
    body = (WORDS * (body_chars // len(WORDS) + 1))[:body_chars].strip()
    for n in range(count):
        incident = f"inc{n // 4:09d}"
        signing.sign_notice(
            signing.INCIDENT_UPDATE, incident, f"upd{n:09d}",
            url=f"https://status.example.com/incidents/{incident}",
            title=f"Checkout errors ({n // 4})", status="investigating",
            body=f"{body} Next update by 14:35 UTC. ({n})",
            published_at=started + timedelta(minutes=50 * n),
        )  # fmt: skip


def old_index() -> bytes:
    """/verify/notices.json as it was served: every notice in one document."""
    from incidents.models import SignedNotice

    rows = SignedNotice.objects.order_by("published_at", "pk").values_list(
        "code", "payload", "signature"
    )
    document = {"notices": [{"code": c, "payload": p, "signature": s} for c, p, s in rows]}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def fetched(path: str) -> bytes:
    from django.test import Client

    answer = Client(HTTP_HOST="localhost").get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return bytes(answer.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--body", type=int, default=220)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    prepare_database()
    import django

    django.setup()
    from incidents.models import SignedNotice

    try:
        clock = time.perf_counter()
        sign_many(args.notices, args.body)
        signing_seconds = time.perf_counter() - clock
        before = old_index()
        index = fetched("/verify/notices.json")
        document = json.loads(index)
        assert document["count"] == args.notices
        codes = list(SignedNotice.objects.values_list("code", flat=True))
        sample = random.Random(7).sample(codes, min(args.samples, len(codes)))
        plain, packed = [], []
        shard_sizes: dict[str, int] = {}
        for code in sample:
            prefix = code[: document["prefix_length"]]
            shard = fetched(f"/verify/notices/{prefix}.json")
            assert code in {n["code"] for n in json.loads(shard)["notices"]}
            shard_sizes[prefix] = len(shard)
            plain.append(len(index) + len(shard))
            packed.append(len(gzip.compress(index)) + len(gzip.compress(shard)))
        result: dict[str, Any] = {
            "notices": args.notices,
            "body_chars": args.body,
            "signing_seconds": round(signing_seconds, 1),
            "shards": len(document["shards"]),
            "before_bytes": len(before),
            "before_gzip_bytes": len(gzip.compress(before)),
            "index_bytes": len(index),
            "shard_bytes_median": statistics.median(shard_sizes.values()),
            "shard_bytes_max": max(shard_sizes.values()),
            "after_bytes_median": statistics.median(plain),
            "after_bytes_max": max(plain),
            "after_gzip_bytes_median": statistics.median(packed),
            "samples": len(sample),
        }
    finally:
        drop_database()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"verify-index-{stamp}"
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Verify page: bytes for one verification ({stamp})",
        "",
        f"{args.notices:,} signed notices, {args.body}-character words; "
        f"{result['shards']} shards; {len(sample)} codes sampled.",
        "",
        "| | bytes | gzip |",
        "|---|---:|---:|",
        f"| before: the one index | {result['before_bytes']:,} | {result['before_gzip_bytes']:,} |",
        f"| after: index + shard, median | {result['after_bytes_median']:,.0f} | "
        f"{result['after_gzip_bytes_median']:,.0f} |",
        f"| after: index + shard, largest | {result['after_bytes_max']:,} | |",
        f"| (the index alone) | {result['index_bytes']:,} | |",
        "",
    ]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
