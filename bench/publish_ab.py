"""Publishing before and after incremental rendering, at a realistic size: A/B, interleaved.

For each site size (resolved incidents spread over 90 days, 200 components in 10 groups,
two open incidents), on a PostgreSQL database of this run's own:

- "before" runs the publisher of another checkout (--before, e.g. `git archive` of the
  commit this branch started from): it
  renders the whole site on every change;
- "after" runs this checkout's: it renders what the change reaches and reuses the rest.

The site is seeded once and copied (CREATE DATABASE ... TEMPLATE) into one database per
arm. Each arm runs in its own processes with its own database, mirror directory, S3
bucket (moto's server on a free loopback port), cache prefix and VAR_DIR, and publishes
once untimed (its first render). Then, per round, it posts --updates updates to an open
incident and times each from the update's commit to service.publish() returning with
every target (the local mirror and the bucket) at the new version. Arms alternate order
round by round. Last, the after arm renders the whole site from nothing into a scratch
directory, timed (the render alone, no targets). The arms' untimed first publishes run
at the same time.

    .venv/bin/python bench/publish_ab.py --before DIR [--sizes 1000 10000] [--rounds 3]
        [--no-whole]

Each measuring process first warms its publisher as a worker does when it starts
(incidents/publish/warm.py, statuspage/celery.py), where the arm's checkout has that; a
before arm without it publishes cold. Once per round each arm also publishes one update
from a process that is not warmed: reported apart, as a worker that took an update the
moment it started.

The live path adds the coalescing delay (publish/trigger.py COALESCE_SECONDS, 0.5 s) and
the worker's pickup to these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
COMPONENTS, GROUPS = 200, 10


def _env(tree: Path, database: str, var: Path, s3_url: str, bucket: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        "CANDOR_CACHE_PREFIX": f"bench-ab-{var.name}-{os.getpid()}",
        "CANDOR_VAR_DIR": str(var),
        "CANDOR_MIRROR_DIR": str(var / "mirror"),
        "CANDOR_PUBLISH_TARGETS": "local,s3" if bucket else "local",
        "CANDOR_S3_BUCKET": bucket,
        "CANDOR_S3_ENDPOINT_URL": s3_url,
        "CANDOR_S3_ACCESS_KEY_ID": "bench",
        "CANDOR_S3_SECRET_ACCESS_KEY": "bench-secret",
        "CANDOR_S3_ADDRESSING": "path",
        "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    }


def _child(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(f"{args[0]} in {tree} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


# -- in the child processes ----------------------------------------------------------------


def seed(incidents: int) -> None:
    """The site, written in bulk: lifecycle for what must be exact, rows for the history."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    from bench.approved import templates_install
    from incidents import lifecycle
    from incidents.audit import Actor
    from incidents.models import (
        ComponentStatusChange,
        Incident,
        IncidentComponent,
        IncidentUpdate,
    )
    from incidents.rendering import render_markdown

    actor = Actor.system("bench")
    templates_install()
    now = datetime.now(UTC)
    with override_settings(CANDOR_PUBLISH_TARGETS=[]):
        components = []
        for g in range(GROUPS):
            group = lifecycle.group_create(actor=actor, name=f"Region {g}")
            for n in range(COMPONENTS // GROUPS):
                components.append(
                    lifecycle.component_save(
                        actor=actor, name=f"Service {g}-{n}", group=group, position=n
                    )
                )
        rows, updates, affected, changes = [], [], [], []
        for n in range(incidents):
            opened = now - timedelta(days=90) + timedelta(seconds=n * 86400 * 89 / incidents)
            resolved = opened + timedelta(minutes=50)
            rows.append(
                Incident(
                    name=f"Incident {n}: elevated errors",
                    status="resolved",
                    impact="minor",
                    started_at=opened,
                    identified_at=opened + timedelta(minutes=20),
                    resolved_at=resolved,
                    created_at=opened,
                    updated_at=resolved,
                )
            )
        Incident.objects.bulk_create(rows, batch_size=1000)
        texts = {
            phase: render_markdown(f"We are looking into it ({phase}).")
            for phase in ("investigating", "resolved")
        }
        affected_json = {  # as lifecycle records it (Statuspage's affected_components)
            c.pk: {
                "code": c.public_id,
                "name": c.name,
                "old_status": "operational",
                "new_status": "degraded_performance",
            }
            for c in components
        }
        for n, incident in enumerate(rows):
            component = components[n % len(components)]
            for status, at in (
                ("investigating", incident.started_at),
                ("resolved", incident.resolved_at),
            ):
                updates.append(
                    IncidentUpdate(
                        incident=incident,
                        status=status,
                        body=f"We are looking into it ({status}).",
                        body_html=texts[status],
                        created_at=at,
                        display_at=at,
                        affected_components=[affected_json[component.pk]],
                    )
                )
            affected.append(
                IncidentComponent(
                    incident=incident, component=component, status="degraded_performance"
                )
            )
            changes += [
                ComponentStatusChange(component=component, status=status, at=at)
                for status, at in (
                    ("degraded_performance", incident.started_at),
                    ("operational", incident.resolved_at),
                )
            ]
        IncidentUpdate.objects.bulk_create(updates, batch_size=1000)
        IncidentComponent.objects.bulk_create(affected, batch_size=1000)
        ComponentStatusChange.objects.bulk_create(changes, batch_size=1000)
        for n in range(2):  # open ones, to post updates to
            opened = now - timedelta(seconds=n)
            name = f"Open incident {n}"
            lifecycle.incident_open(
                actor=actor, name=name, impact="minor", now=opened,
                body=_words("investigating", name, components[n].name, opened, now=opened),
                components={components[n]: "degraded_performance"},
            )  # fmt: skip
    print(json.dumps({"incidents": Incident.objects.count()}))


def _words(phase: str, title: str, component: str, started_at: datetime, *, now: datetime) -> str:
    """The phase's approved template, promising the next update within the cadence."""
    from incidents import wording
    from incidents.wording import approvals

    values = wording.values_for(
        title=title,
        component_names=[component],
        started_at=started_at,
        next_update_at=now + timedelta(minutes=10),
    )
    found = approvals.template_words(phase, values)
    if found is None:
        raise RuntimeError(f"no approved template for {phase}")
    return found


def measure(updates: int, *, primed: bool = False, cold: bool = False) -> None:
    import django

    django.setup()
    import boto3
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from incidents import lifecycle
    from incidents.audit import Actor
    from incidents.lifecycle import posting
    from incidents.models import Incident
    from incidents.publish import service

    call_command("collectstatic", "--noinput", verbosity=0)  # this checkout's files
    if settings.CANDOR_S3_BUCKET:
        s3 = boto3.session.Session().client(
            "s3", endpoint_url=settings.CANDOR_S3_ENDPOINT_URL, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench-secret",  # noqa: S106
        )  # fmt: skip
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=settings.CANDOR_S3_BUCKET)
    # Publish only when this benchmark says so, never from the change's commit.
    posting.request_publish = lambda: None
    actor = Actor.system("bench")
    if not primed:  # catch up: the first render, changes made by someone else
        assert not service.publish().failed
    incident = Incident.objects.exclude(status="resolved").order_by("pk").first()
    assert incident is not None
    if not cold:
        # As a worker does when it starts (statuspage/celery.py), where this checkout
        # has it; `cold` measures a process that publishes before it is warm.
        try:
            from incidents.publish.warm import publisher_warm
        except ImportError:
            pass
        else:
            publisher_warm()
    seconds = []
    for n in range(updates):
        now = timezone.now()
        status = ("identified", "investigating")[n % 2]
        body = _words(status, incident.name, "Service 0-0", incident.started_at, now=now)
        lifecycle.update_post(actor=actor, incident=incident, body=body, status=status, now=now)
        started = time.perf_counter()
        result = service.publish()
        seconds.append(time.perf_counter() - started)
        assert not result.failed, result
        assert all(t.outcome == "published" for t in result.targets), result
    print(json.dumps(seconds))


def whole_render() -> None:
    """The whole site rendered from nothing into a scratch directory, as a first publish
    or a change that reaches every page renders it (no targets: the render alone)."""
    import django

    django.setup()
    from incidents.publish.snapshot import render_snapshot

    with tempfile.TemporaryDirectory(prefix="candor-bench-whole-") as scratch:
        started = time.perf_counter()
        snapshot = render_snapshot(Path(scratch) / "render")
        seconds = time.perf_counter() - started
        files = len(snapshot.manifest.files)
    print(json.dumps({"seconds": seconds, "files": files}))


# -- the parent ----------------------------------------------------------------------------


ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"


def _create(database: str, *, template: str = "") -> None:
    import psycopg

    _drop(database)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}" + (f" TEMPLATE {template}" if template else ""))


def _drop(database: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def calibration() -> float:
    """Seconds for a fixed pure-Python loop, best of three: the machines sessions get
    differ in speed, and a latency read without this says little across sessions."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(10_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best


def run(args: argparse.Namespace) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from bench.run import free_port, process, wait_for

    trees = {"before": Path(args.before).resolve(), "after": ROOT}
    results: dict[str, object] = {"sizes": {}, "calibration_s": calibration()}
    port = free_port()
    moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    s3_url = f"http://127.0.0.1:{port}"
    with process(moto), tempfile.TemporaryDirectory(prefix="candor-bench-ab-") as tmp:
        wait_for(f"{s3_url}/moto-api/")
        for size in args.sizes:
            template = f"candor_bench_ab_{os.getpid()}_{size}"
            databases = {arm: f"{template}_{arm}" for arm in trees}
            try:
                _create(template)
                var = {arm: Path(tmp) / f"{size}-{arm}" for arm in trees}
                started = time.monotonic()
                _child(ROOT, _env(ROOT, template, var["after"], s3_url, ""), "seed", str(size))
                print(f"{size}: seeded in {time.monotonic() - started:.0f} s", flush=True)
                # One database per arm, copies of the seeded one: each arm's changes (and,
                # after, their recorded scopes) stay its own.
                env = {}
                for arm in trees:
                    _create(databases[arm], template=template)
                    bucket = f"ab-{size}-{arm}"
                    env[arm] = _env(trees[arm], databases[arm], var[arm], s3_url, bucket)

                def prepare(arm: str, env: dict[str, dict[str, str]] = env) -> None:
                    _child(trees[arm], env[arm], "measure", "0")  # first publish, untimed
                    # Two updates more, untimed: a mirror that keeps several versions
                    # (three trees, or three version directories) is full, as it stays.
                    _child(trees[arm], env[arm], "measure", "2", "primed")

                # Untimed, so both arms at once (a whole render and upload each: minutes).
                with ThreadPoolExecutor(len(trees)) as pool:
                    list(pool.map(prepare, trees))
                print(f"{size}: prepared in {time.monotonic() - started:.0f} s", flush=True)
                rounds: dict[str, list[list[float]]] = {arm: [] for arm in trees}
                # The 1-minute load average before and after each arm's round: the machine
                # is shared, and a figure means little without it.
                loads: dict[str, list[list[float]]] = {arm: [] for arm in trees}
                colds: dict[str, list[float]] = {arm: [] for arm in trees}
                for r in range(args.rounds):
                    for arm in ("before", "after") if r % 2 == 0 else ("after", "before"):
                        n = args.updates_before or args.updates if arm == "before" else args.updates
                        load = os.getloadavg()[0]
                        out = _child(trees[arm], env[arm], "measure", str(n), "primed")
                        seconds = json.loads(out)
                        rounds[arm].append(seconds)
                        loads[arm].append([load, os.getloadavg()[0]])
                        print(
                            f"{size} round {r} {arm}: {[round(s, 3) for s in seconds]} "
                            f"(load {load:.1f}-{os.getloadavg()[0]:.1f})",
                            flush=True,
                        )
                    # A process's first publish without the warm-up (a worker that took
                    # an update the moment it started), once per arm each round, in
                    # alternating order (a cold publish's figure moved with its position).
                    for arm in ("after", "before") if r % 2 == 0 else ("before", "after"):
                        out = _child(trees[arm], env[arm], "measure", "1", "primed", "cold")
                        colds[arm] += json.loads(out)
                        print(f"{size} round {r} {arm} cold: {colds[arm][-1]:.3f}", flush=True)
                # The whole site rendered from nothing (what a first publish and a change
                # reaching every page cost), once, by this checkout's renderer.
                for arm in ("after",) if args.whole else ():
                    whole = json.loads(_child(trees[arm], env[arm], "whole"))
                    results.setdefault("whole", {}).setdefault(str(size), {})[arm] = whole  # type: ignore[union-attr]
                    print(f"{size} {arm} whole render: {whole}", flush=True)
                results["sizes"][str(size)] = rounds  # type: ignore[index]
                results.setdefault("cold", {})[str(size)] = colds  # type: ignore[index]
                results.setdefault("loads", {})[str(size)] = loads  # type: ignore[index]
            finally:
                for database in [template, *databases.values()]:
                    _drop(database)
    return results


def report(results: dict[str, object], args: argparse.Namespace) -> str:
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d}, loopback, 2 cores shared with other jobs. "
        f"{args.rounds} interleaved rounds x {args.updates} updates per arm "
        f"({args.updates_before or args.updates} for before); targets: local "
        "mirror + S3 (moto server). Seconds from the update's commit to every target at the "
        f"new version. This machine's pure-Python loop of 10M additions: "
        f"{results.get('calibration_s', float('nan')):.2f} s (best of 3).",
        "",
        "| incidents | arm | p50 (median of rounds, min-max) | p95 (median of rounds, min-max) "
        "| all updates p95 | load average |",
        "|---:|---|---|---|---:|---|",
    ]
    for size, rounds in results["sizes"].items():  # type: ignore[attr-defined]
        for arm in ("before", "after"):
            p50s = [statistics.median(r) for r in rounds[arm]]
            p95s = [percentile(r, 0.95) for r in rounds[arm]]
            pooled = [s for r in rounds[arm] for s in r]
            loads = [
                x for pair in results.get("loads", {}).get(size, {}).get(arm, []) for x in pair
            ]  # type: ignore[attr-defined]
            load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"
            lines.append(
                f"| {int(size):,} | {arm} | {statistics.median(p50s):.2f} s "
                f"({min(p50s):.2f}-{max(p50s):.2f}) | {statistics.median(p95s):.2f} s "
                f"({min(p95s):.2f}-{max(p95s):.2f}) | {percentile(pooled, 0.95):.2f} s | {load} |"
            )
    lines += ["", "A process's first publish, not warmed (seconds, one per round):", ""]
    for size, colds in results.get("cold", {}).items():  # type: ignore[attr-defined]
        for arm in ("before", "after"):
            if found := colds.get(arm, []):
                lines.append(
                    f"- {int(size):,} {arm}: median {statistics.median(found):.2f} s "
                    f"({min(found):.2f}-{max(found):.2f})"
                )
    lines += ["", "The whole site rendered from nothing, no targets (seconds, once):", ""]
    for size, arms in results.get("whole", {}).items():  # type: ignore[attr-defined]
        for arm, whole in arms.items():
            lines.append(
                f"- {int(size):,} {arm}: {whole['seconds']:.1f} s, {whole['files']:,} files"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "whole":
        whole_render()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        measure(int(sys.argv[2]), primed="primed" in sys.argv[3:], cold="cold" in sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument(
        "--updates-before", type=int, help="updates per round of the before arm (--updates)"
    )
    parser.add_argument(
        "--before", required=True, help="a checkout of the old publisher (git archive of main)"
    )
    parser.add_argument(
        "--no-whole",
        dest="whole",
        action="store_false",
        help="skip the last whole render (minutes at 10,000; for an A/B of the updates alone)",
    )
    args = parser.parse_args()
    results = run(args)
    text = report(results, args)
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"publish-ab-{stamp}.md").write_text(text)
    (RESULTS / f"publish-ab-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
