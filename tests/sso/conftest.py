"""A real OpenID Connect provider on loopback for the SSO tests: panva's oidc-provider
(npm, pinned in package.json) run by Node from tests/sso/provider.mjs."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID, CLIENT_SECRET = "candor-console", "a-test-client-secret-long-enough-for-hs256"
ROLE_MAP = [("ops", "Responder"), ("admins", "Admin"), ("legal", "Approver (legal)")]

# Login names at the provider (its development pages take any password) and their claims.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"name": "Alice Ops", "email": "alice@example.com", "groups": ["ops", "staff"]},
    "nobody": {"name": "No Role", "email": "nobody@example.com", "groups": ["marketing"]},
    "mallory": {
        "name": "\x1b[31mM\u202eallory\x00",
        "name_repeat": 70_000,  # a megabyte and more of name
        "preferred_username": "mal\u202elory\x07",
        "email": "mallory@example.com\r\nBcc: x@example.com",
        "groups": ["ops", 7, {"x": 1}, "g" * 10_000],
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[str]

    def token_endpoint_failing(self) -> None:
        """From now on (until called again) the token endpoint answers 503."""
        self.process.send_signal(signal.SIGUSR2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def oidc_provider(live_server: LiveServer, settings: Any, tmp_path: Path) -> Iterator[OidcProvider]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.skip("needs Node and `npm ci` (oidc-provider)")
    port = free_port()
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS))
    env = {
        "PATH": str(Path(node).parent),
        "OIDC_PORT": str(port),
        "OIDC_ACCOUNTS_FILE": str(accounts),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": live_server.url + reverse("console:sso_callback"),
    }
    process = subprocess.Popen(
        [node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"oidc-provider did not start: {line!r}")
    provider = OidcProvider(issuer=line.split()[1], process=process)
    settings.CANDOR_OIDC_ISSUER = provider.issuer
    settings.CANDOR_OIDC_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.CANDOR_OIDC_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.CANDOR_OIDC_ROLES = ROLE_MAP
    settings.CANDOR_SSO_REQUIRED = True
    yield provider
    provider.stop()
