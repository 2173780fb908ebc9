"""CPU per ingest request in the web process: the WSGI application called in-process.

Serial single-alert Alertmanager posts through `statuspage.wsgi.application` of the
checkout in the current directory, against the machine's PostgreSQL (a database of this
run's own, dropped at the end) and Redis (a prefix and queue of this run's own). Prints
the process's CPU time and the wall time per request; the database's and Redis's own CPU
are not in it. To compare two versions, run it from each checkout, interleaved:

    cd /tmp/candor-before && /path/to/candor/.venv/bin/python /path/to/candor/bench/ingest_cpu.py
    cd /path/to/candor && .venv/bin/python bench/ingest_cpu.py
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import psycopg

RUN = str(os.getpid())
DATABASE = f"candor_bench_ingestcpu_{RUN}"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENV = {
    "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/6",
    "CANDOR_CACHE_PREFIX": f"bench-ingestcpu-{RUN}",
    "CANDOR_CELERY_QUEUE": f"bench-ingestcpu-{RUN}",
    "CANDOR_VAR_DIR": os.path.join(tempfile.gettempdir(), f"candor-bench-ingestcpu-{RUN}"),
    "CANDOR_ALLOWED_HOSTS": "127.0.0.1",
    "CANDOR_LOG_LEVEL": "WARNING",
}
BODY = (
    '{"version":"4","status":"firing","receiver":"candor","alerts":[{"status":"firing",'
    '"labels":{"alertname":"InstanceDown","service":"Database","instance":"db-1",'
    '"severity":"critical"},"annotations":{"summary":"Instance down"},'
    '"startsAt":"2026-12-06T20:00:00Z","endsAt":"0001-01-01T00:00:00Z",'
    '"fingerprint":"%s"}]}'
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    os.environ.update(ENV)
    sys.path.insert(0, os.getcwd())  # the checkout measured is the one we run in
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True, env=os.environ
        )
        measure(args.requests)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        import redis

        client = redis.Redis.from_url(ENV["REDIS_URL"])
        client.delete(ENV["CANDOR_CELERY_QUEUE"])
        for key in client.scan_iter(match=f"{ENV['CANDOR_CACHE_PREFIX']}:*"):
            client.delete(key)


def measure(requests: int) -> None:
    # isort: off
    from statuspage.wsgi import application  # first: it sets Django up
    from incidents.audit import Actor
    from incidents.ingest import sources

    # isort: on

    _, token = sources.source_create(
        actor=Actor.system("bench"), name="prom", format="alertmanager", hold_seconds=0,
        rate_per_second=10_000_000, burst=10_000_000,
    )  # fmt: skip

    def post(n: int) -> None:
        body = (BODY % f"cpu-{n}").encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/api/ingest/prom/", "SCRIPT_NAME": "",
            "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.input": io.BytesIO(body),
        }  # fmt: skip
        status: list[str] = []
        result = application(environ, lambda s, h, e=None: status.append(s))
        b"".join(result)
        getattr(result, "close", lambda: None)()
        assert status[0].startswith("202"), status

    for n in range(200):  # warm-up: imports, connections, the source's copy
        post(n)
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(200, 200 + requests):
        post(n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{os.getcwd()}: {requests} requests, per request: "
        f"cpu {cpu / requests * 1000:.3f} ms, wall {wall / requests * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()
