"""Production settings, as the process would load them from its environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({k: getattr(settings, k) for k in ["
    "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'DEBUG',"
    "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS']}))"
)


def _load(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "statuspage.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_turns_on_secure_cookies_and_hsts() -> None:
    loaded = _load(CANDOR_PRODUCTION="true", CANDOR_SECRET_KEY="x" * 50)
    assert loaded.returncode == 0, loaded.stderr
    values = json.loads(loaded.stdout)
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_HTTPONLY"] and values["X_FRAME_OPTIONS"] == "DENY"


def test_production_refuses_to_start_without_a_secret_key() -> None:
    loaded = _load(CANDOR_PRODUCTION="true")
    assert loaded.returncode != 0
    assert "CANDOR_SECRET_KEY" in loaded.stderr


def test_a_typo_in_a_setting_stops_the_process_with_its_name() -> None:
    loaded = _load(CANDOR_PUBLIC_MAX_AGE="ten")
    assert loaded.returncode != 0
    assert "CANDOR_PUBLIC_MAX_AGE" in loaded.stderr


def test_an_s3_key_id_without_its_secret_stops_the_process() -> None:
    loaded = _load(CANDOR_S3_BUCKET="status", CANDOR_S3_ACCESS_KEY_ID="AKIAEXAMPLE")
    assert loaded.returncode != 0
    assert "CANDOR_S3_SECRET_ACCESS_KEY" in loaded.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/console/login/", "/api/v2/summary.json"])
def test_every_response_carries_a_csp_without_inline_script(client: Client, path: str) -> None:
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "http" not in policy


def test_a_silent_database_fails_the_connection_within_the_timeout() -> None:
    """A server that takes the connection and never answers (a network black hole) costs
    a request CANDOR_DB_CONNECT_TIMEOUT seconds, after which public pages fall back."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "DJANGO_"))}
        probe = (
            "import time, django; django.setup(); from django.db import connection;"
            "started = time.monotonic()\n"
            "try:\n    connection.ensure_connection()\n"
            "except Exception as error:\n"
            "    print(type(error).__name__, round(time.monotonic() - started, 1))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env={
                **clean,
                "DJANGO_SETTINGS_MODULE": "statuspage.settings",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/candor",
                "CANDOR_DB_CONNECT_TIMEOUT": "1",
            },
            capture_output=True,
            text=True,
            timeout=30,
        )
    name, seconds = done.stdout.split()
    assert name == "OperationalError", done.stderr
    assert 0.9 <= float(seconds) < 5
