"""The Redis token bucket before and after it became one primitive (incidents/ratelimit.py):
A/B, interleaved.

"before" runs another checkout (--before, e.g. `git archive` of the commit this branch
started from), "after" this one. Each round runs each arm in a fresh process (order
alternating), against the local Redis (database 15, a key prefix of the run's own), and
times three calls, in microseconds per call:

- admit_lease: ingest admission under a storm (ingest/admission.py `admit`, leases on:
  most calls spend a lease without a round trip);
- admit_call: admission with leases off, so every call is one script in Redis;
- notify_take: the fan-out's per-provider bucket (notify/limits.py `tokens_take`), one
  script call each.

    .venv/bin/python bench/ratelimit_ab.py --before DIR [--rounds 7] [--calls 5000]

The cheapest honest reference, printed with the rest: one EVALSHA of a script that only
returns (`noop_call`), the round trip every bucket call pays at least.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time, uuid
import django
django.setup()
from django.utils import timezone
from incidents.ingest import admission
from incidents.models import Source
from incidents.notify import limits

calls = int(sys.argv[1])
out = {}

def timed(fn, n):
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6

storm = Source(pk=10**9 + os.getpid(), rate_per_second=10**7, burst=10**7)
now = timezone.now
admission.admit(storm, cost=1, now=now())
out["admit_lease"] = timed(lambda: admission.admit(storm, cost=1, now=now()), calls * 4)
admission.LEASE_SECONDS = 0
single = Source(pk=2 * 10**9 + os.getpid(), rate_per_second=10**7, burst=10**7)
out["admit_call"] = timed(lambda: admission.admit(single, cost=1, now=now()), calls)
from django.conf import settings
settings.CANDOR_NOTIFY_RATE = {"bench": 10**7}
provider = f"bench:{uuid.uuid4().hex}"
out["notify_take"] = timed(lambda: limits.tokens_take(provider, 1), calls)
client = limits.redis_client()
noop = client.register_script("return 1")
out["noop_call"] = timed(lambda: noop(keys=["x"], args=[]), calls)
print(json.dumps(out))
"""


def run_arm(tree: Path, calls: int, prefix: str) -> dict[str, float]:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        REDIS_URL="redis://127.0.0.1:6379/15",
        CANDOR_CACHE_PREFIX=prefix,
        PYTHONPATH=str(tree),
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(calls)],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    prefix = f"bench-rl-{uuid.uuid4().hex[:8]}"
    arms = {"before": args.before.resolve(), "after": HERE}
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for n in range(args.rounds):
        order = ["before", "after"] if n % 2 == 0 else ["after", "before"]
        for arm in order:
            results[arm].append(run_arm(arms[arm], args.calls, prefix))
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    print(f"{args.rounds} rounds, interleaved; microseconds per call: median (min-max)")
    for metric in ["admit_lease", "admit_call", "notify_take", "noop_call"]:
        line = [f"{metric:12}"]
        for arm in ["before", "after"]:
            values = [r[metric] for r in results[arm]]
            line.append(
                f"{arm} {statistics.median(values):7.1f} ({min(values):.1f}-{max(values):.1f})"
            )
        print("  ".join(line))


if __name__ == "__main__":
    main()
