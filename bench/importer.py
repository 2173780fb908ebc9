"""How long importing a Statuspage page takes, and a second run of it.

    .venv/bin/python bench/importer.py                         # 300 incidents, 2,500 subscribers
    .venv/bin/python bench/importer.py --incidents 3000 --subscribers 25000

The peer is tests/importer/peer.py (Statuspage's management API v1 on loopback, a
deterministic realistic page) served from this process; `manage.py import_statuspage`
runs in a fresh process against a PostgreSQL database of this run's own (dropped at the
end). Measured: the wall time of the first import and of a second run (which finds
everything mapped and adds nothing), and the requests the peer answered.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUN = str(os.getpid())
DATABASE = f"candor_bench_importer_{RUN}"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENV = {
    "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/6",
    "CANDOR_CACHE_PREFIX": f"bench-importer-{RUN}",
    "CANDOR_CELERY_QUEUE": f"bench-importer-{RUN}",
    "CANDOR_VAR_DIR": os.path.join(tempfile.gettempdir(), f"candor-bench-importer-{RUN}"),
    "CANDOR_ALLOWED_HOSTS": "127.0.0.1",
    "CANDOR_LOG_LEVEL": "WARNING",
    "CANDOR_IMPORT_ALLOW_PRIVATE": "true",  # the peer is on loopback
    "CANDOR_WEBHOOK_ALLOW_PRIVATE": "true",  # its webhook subscribers' hosts do not resolve
}


def main() -> None:
    import psycopg

    from tests.importer.peer import API_KEY, PAGE_ID, StatuspagePeer, realistic_page

    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=2500)
    args = parser.parse_args()
    env = {**os.environ, **ENV}
    page = realistic_page(
        now=datetime.now(UTC), incidents=args.incidents, subscribers=args.subscribers
    )
    peer = StatuspagePeer(page).start()
    command = [
        sys.executable, "manage.py", "import_statuspage", "--page-id", PAGE_ID,
        "--api-key", API_KEY, "--base-url", peer.base_url,
    ]  # fmt: skip
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            check=True, cwd=ROOT, env=env,
        )  # fmt: skip
        for label in ("first import", "second run"):
            peer.requests.clear()
            began = time.perf_counter()
            out = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
            )
            took = time.perf_counter() - began
            print(f"{label}: {took:.1f} s, {len(peer.requests)} requests")
            print("  " + "\n  ".join(line for line in out.stdout.splitlines() if ":" in line[:20]))
    finally:
        peer.stop()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
