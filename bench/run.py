"""Serving benchmark: Candor's public page and summary.json against two references.

Runs on loopback only, every load bounded by wrk's duration:
  - nginx serving the very same bytes as static files (the ceiling);
  - a bare Django view returning bytes from the same cache, under the same server
    (the floor any cached Django response has to pay);
  - Candor's `/` and `/api/v2/summary.json`, under gunicorn and under granian.
Production settings (DEBUG off), PostgreSQL and Redis from this machine.

    .venv/bin/python bench/run.py [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE = "candor_bench"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "CANDOR_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    "CANDOR_VAR_DIR": str(ROOT / "var" / "bench"),
    "CANDOR_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "PYTHONPATH": str(ROOT),
}


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(*args: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=ENV, check=True)


def prepare_database() -> None:
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("seed_demo")


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


@contextmanager
def process(command: list[str], *, cwd: Path = ROOT):
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


SERVERS = {
    "gunicorn": lambda port: [
        str(VENV_BIN / "gunicorn"),
        "statuspage.wsgi:application",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--env",
        "DJANGO_SETTINGS_MODULE=bench.settings",
    ],
    "granian": lambda port: [
        str(VENV_BIN / "granian"),
        "--interface",
        "wsgi",
        "statuspage.wsgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--blocking-threads",
        "1",
        "--no-ws",
    ],
}

_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    name: str, url: str, *, duration: int, connections: int, compressed: bool = False
) -> Result:
    headers = ["-H", "Accept-Encoding: gzip"] if compressed else []
    # Warm-up, discarded: every worker process renders its first copy, opens its
    # connections and fills its caches before the measured run starts.
    subprocess.run(
        ["wrk", "-t2", f"-c{connections}", "-d2s", *headers, url],
        capture_output=True,
        check=True,
        timeout=30,
    )
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "5s",
            *headers,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY.findall(output)}
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(g) for g in match.groups())
    return Result(name, rps, latency["50"], latency["99"], errors)


def nginx_command(directory: Path, http: str) -> list[str]:
    """nginx in the foreground with its files under `directory` and `http` in its http block."""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    {http}
}}
"""
    )
    (directory / "body").mkdir(exist_ok=True)
    return [
        shutil.which("nginx") or "/usr/sbin/nginx",
        "-c",
        str(conf),
        "-e",
        str(directory / "error.log"),
    ]


def nginx_serving(directory: Path, port: int) -> list[str]:
    return nginx_command(
        directory,
        f"""
    gzip_static on;
    types {{ text/html html; application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        root {directory}/site;
    }}
""",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    run = {"duration": args.duration, "connections": args.connections}
    gz = {**run, "compressed": True}

    prepare_database()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # nginx's workers run as an unprivileged user
        site = workdir / "site"
        (site / "api" / "v2").mkdir(parents=True)
        for server, command in SERVERS.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with process(command(port)):
                wait_for(f"{base}/api/v2/status.json")
                page, summary = fetch(f"{base}/"), fetch(f"{base}/api/v2/summary.json")
                # The references serve the very bytes Candor serves.
                (site / "index.html").write_bytes(page)
                (site / "index.html.gz").write_bytes(gzip.compress(page, 6, mtime=0))
                (site / "api" / "v2" / "summary.json").write_bytes(summary)
                subprocess.run(
                    [
                        str(VENV_BIN / "python"),
                        "-c",
                        "import gzip, sys, django; django.setup();"
                        "from django.core.cache import cache; body = sys.stdin.buffer.read();"
                        "cache.set('bench:reference-bytes', body, None);"
                        "cache.set('bench:reference-gzip', gzip.compress(body, 6, mtime=0), None)",
                    ],
                    input=page,
                    cwd=ROOT,
                    env=ENV,
                    check=True,
                )
                results.append(
                    wrk(f"{server}: bare cached Django view", f"{base}/bench/bare/", **run)
                )
                results.append(
                    wrk(
                        f"{server}: bare cached Django view, gzip", f"{base}/bench/bare-gzip/", **gz
                    )
                )
                results.append(wrk(f"{server}: Candor /", f"{base}/", **run))
                results.append(wrk(f"{server}: Candor /, gzip", f"{base}/", **gz))
                results.append(
                    wrk(f"{server}: Candor summary.json", f"{base}/api/v2/summary.json", **run)
                )
        port = free_port()
        with process(nginx_serving(workdir, port)):
            wait_for(f"http://127.0.0.1:{port}/index.html")
            results.append(wrk("nginx: static page", f"http://127.0.0.1:{port}/index.html", **run))
            results.append(
                wrk("nginx: static page, gzip", f"http://127.0.0.1:{port}/index.html", **gz)
            )
            results.append(
                wrk(
                    "nginx: static summary.json",
                    f"http://127.0.0.1:{port}/api/v2/summary.json",
                    **run,
                )
            )
        sizes = {"page": len(page), "summary": len(summary)}
    report(results, sizes, run)
    return 0


def report(results: list[Result], sizes: dict[str, int], run: dict[str, int]) -> None:
    by_name = {r.name: r for r in results}
    nginx = {
        "": by_name["nginx: static page"].requests_per_second,
        ", gzip": by_name["nginx: static page, gzip"].requests_per_second,
    }
    lines = [
        f"# Serving benchmark, {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        f"wrk -t2 -c{run['connections']} -d{run['duration']}s on loopback, {os.cpu_count()} cores; "
        f"page {sizes['page']} bytes, summary.json {sizes['summary']} bytes.",
        "",
        "| target | req/s | p50 ms | p99 ms | errors | vs bare Django | vs nginx page |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        server = r.name.split(":")[0]
        suffix = ", gzip" if r.name.endswith(", gzip") else ""
        bare = by_name.get(f"{server}: bare cached Django view{suffix}")
        vs_bare = f"{r.requests_per_second / bare.requests_per_second:.2f}x" if bare else "-"
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.errors} | {vs_bare} | {r.requests_per_second / nginx[suffix]:.3f}x |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"serving-{stamp}.md").write_text(text)
    (out / f"serving-{stamp}.json").write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    sys.exit(main())
