"""The fair serving ratio over HTTP: Candor's live `/` against a bare Django view
returning the very same bytes from process memory, through the same server.

    .venv/bin/python bench/serving_fair.py [--components 80] [--incidents 1000]
        [--rounds 3] [--duration 10] [--connections 64] [--profile]

On loopback, with a PostgreSQL database (`candor_bench_fair_<pid>`, dropped at the end),
a Redis key prefix and a var directory of its own, and free ports: seeds bench/seed.py's
site, starts granian as `make run` and the Dockerfile do (2 workers, 8 blocking threads),
fetches `/`, restarts it with those bytes loaded into every worker's memory for
`/bench/bare-memory/` (and their gzip copy for `/bench/bare-memory-gzip/`), then runs wrk
against Candor and the bare view in interleaved rounds, the order alternating: identity
and gzip with the bare view through the whole middleware stack (the outside review's
reference), and "lean" with it through the public read path's middleware, as `/` runs
(bench/wsgi.py). Prints median and min-max of requests/s, p99 and the ratio of each round, and
writes bench/results/serving-fair-<time>.json.

--profile instead runs both views in this process under cProfile through the WSGI
application (the work one worker does per request, without the server) and prints the
functions that cost Candor more than the bare view.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Result, fetch, free_port, wait_for, wrk  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REDIS_DB = 7


def environment(database: str, var_dir: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CANDOR_CACHE_PREFIX": f"bench-fair-{os.getpid()}",
        "CANDOR_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CANDOR_PUBLISH_TARGETS": "local",
        "CANDOR_VAR_DIR": var_dir,
        "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "PYTHONPATH": str(ROOT),
    }


def setup(database: str, env: dict[str, str], *, components: int, incidents: int) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.seed import seed_site

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    seed_site(components=components, incidents=incidents, days=90, now=timezone.now())
    connection.close()


def drop(database: str) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def granian(port: int) -> list[str]:
    # As the Makefile's `run` target (WEB_WORKERS=2, WEB_THREADS=8) and the Dockerfile;
    # bench.wsgi is statuspage.wsgi's application plus one more path on its lean route.
    return [
        str(VENV_BIN / "granian"), "--interface", "wsgi", "bench.wsgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--blocking-threads", "8", "--no-ws",
    ]  # fmt: skip


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        granian(port),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/api/v2/status.json", timeout=60)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(base: str, args: argparse.Namespace) -> dict[str, object]:
    run = {"duration": args.duration, "connections": args.connections}
    pairs = {
        "identity": (f"{base}/", f"{base}/bench/bare-memory/", False),
        "gzip": (f"{base}/", f"{base}/bench/bare-memory-gzip/", True),
        "lean": (f"{base}/", f"{base}/bench/bare-memory-lean/", False),
    }
    rounds: dict[str, list[dict[str, Result]]] = {name: [] for name in pairs}
    for n in range(args.rounds):
        for name, (candor_url, bare_url, compressed) in pairs.items():
            order = [("candor", candor_url), ("bare", bare_url)]
            if n % 2:
                order.reverse()  # alternate, so a load change hits both sides alike
            got = {}
            for side, url in order:
                got[side] = wrk(f"{side} {name}", url, **run, compressed=compressed)
                r = got[side]
                print(
                    f"round {n + 1} {name:8} {side:6} {r.requests_per_second:8,.0f} req/s "
                    f"p99 {r.p99_ms:6.2f} ms errors {r.errors}  load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            rounds[name].append(got)
    out: dict[str, object] = {}
    for name, got in rounds.items():
        out[name] = {
            "candor_rps": spread([g["candor"].requests_per_second for g in got]),
            "bare_rps": spread([g["bare"].requests_per_second for g in got]),
            "candor_p99_ms": spread([g["candor"].p99_ms for g in got]),
            "bare_p99_ms": spread([g["bare"].p99_ms for g in got]),
            "ratio": spread(
                [g["candor"].requests_per_second / g["bare"].requests_per_second for g in got]
            ),
            "errors": sum(g["candor"].errors + g["bare"].errors for g in got),
            "rounds": [{side: r.__dict__ for side, r in g.items()} for g in got],
        }
    return out


def profile(page: bytes, requests: int) -> None:
    """Both views through the WSGI application in this process, under cProfile."""
    from bench import urls as bench_urls
    from statuspage.wsgi import application

    bench_urls.MEMORY["page"] = page

    def environ(path: str) -> dict[str, object]:
        return {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True,
        }  # fmt: skip

    def serve(path: str) -> None:
        body = application(environ(path), lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for path in ("/", "/bench/bare-memory/"):
        for _ in range(200):  # warm: the rendering cached, the URL resolver built
            serve(path)
    timings: dict[str, list[float]] = {"/": [], "/bench/bare-memory/": []}
    for n in range(6):  # without the profiler first, interleaved, the order alternating
        for path in sorted(timings, reverse=bool(n % 2)):
            started = time.perf_counter()
            for _ in range(requests):
                serve(path)
            timings[path].append((time.perf_counter() - started) / requests * 1e6)
    for path, values in timings.items():
        print(f"{path}: {statistics.median(values):.0f} us ({min(values):.0f}-{max(values):.0f})")
    ratio = statistics.median(timings["/bench/bare-memory/"]) / statistics.median(timings["/"])
    print(f"Candor / vs bare, in-process: {ratio:.2f}x")
    for path in timings:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(requests):
            serve(path)
        profiler.disable()
        took = time.perf_counter() - started
        print(f"\n{path}: {requests / took:,.0f} req/s in-process ({took / requests * 1e6:.0f} us)")
        stats = io.StringIO()
        pstats.Stats(profiler, stream=stats).sort_stats("cumulative").print_stats(35)
        print(stats.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=80)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="cProfile both views in-process")
    parser.add_argument("--requests", type=int, default=5000, help="with --profile")
    args = parser.parse_args()

    database = f"candor_bench_fair_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="candor-bench-fair-") as tmp:
        env = environment(database, tmp)
        started = time.monotonic()
        setup(database, env, components=args.components, incidents=args.incidents)
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        try:
            reference = Path(tmp) / "reference.html"
            with server({**env, "CANDOR_BENCH_REFERENCE_FILE": str(reference)}) as base:
                page = fetch(f"{base}/")
                reference.write_bytes(page)
                print(f"/ is {len(page):,} bytes", flush=True)
                if args.profile:
                    profile(page, args.requests)
                    return 0
                # Each worker renders its own copy: the same page but for its "generated
                # at" time, so the bare view's bytes match Candor's to a few bytes.
                bare = fetch(f"{base}/bench/bare-memory/")
                if bare != page or abs(len(fetch(f"{base}/")) - len(page)) > 64:
                    raise RuntimeError("the bare view must serve the bytes of /")
                results = measure(base, args)
        finally:
            drop(database)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "components": args.components,
        "incidents": args.incidents,
        "page_bytes": len(page),
        "wrk": f"-t2 -c{args.connections} -d{args.duration}s",
        "server": " ".join(granian(0)[1:]),
        "load_average_end": os.getloadavg(),
        **results,
    }
    for name in ("identity", "gzip", "lean"):
        r: dict = results[name]  # type: ignore[assignment]
        print(
            f"{name:8} candor {r['candor_rps']['median']:,.0f} req/s "
            f"({r['candor_rps']['min']:,.0f}-{r['candor_rps']['max']:,.0f}), p99 "
            f"{r['candor_p99_ms']['median']:.1f} ms | bare {r['bare_rps']['median']:,.0f} "
            f"({r['bare_rps']['min']:,.0f}-{r['bare_rps']['max']:,.0f}), p99 "
            f"{r['bare_p99_ms']['median']:.1f} ms | ratio {r['ratio']['median']:.2f}x "
            f"({r['ratio']['min']:.2f}-{r['ratio']['max']:.2f}) errors {r['errors']}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"serving-fair-{stamp}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
