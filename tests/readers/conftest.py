"""Readers' tests: a real SMTP sink (aiosmtpd) for the links, a second oidc-provider for
the reader OIDC client (tests/sso/provider.mjs with the reader client's registration)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from incidents import roles
from tests.conftest import staff_user
from tests.notify.peers import SmtpSink
from tests.sso.conftest import ROOT, SCRIPT, OidcProvider, free_port

READER_CLIENT_ID = "candor-readers"
READER_CLIENT_SECRET = "another-test-client-secret-long-enough-for-hs256"

# Login names at the provider and their claims: an employee, someone in no mapped group,
# and one whose claims are hostile.
READERS: dict[str, dict[str, Any]] = {
    "erin": {"name": "Erin Employee", "email": "erin@corp.example", "groups": ["employees"]},
    "outsider": {"name": "Out Sider", "email": "out@corp.example", "groups": ["marketing"]},
    "mallory": {
        "name": "\x1b[31mM\u202eallory\x00",
        "email": "mallory@corp.example\r\nBcc: x@example.com",
        "groups": ["employees", 7, {"x": 1}, "g" * 10_000],
    },
}


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 3
    yield sink
    sink.stop()


def link_path(sink: SmtpSink, address: str, index: int = -1) -> str:
    """The path of the sign-in link in the `index`th message to `address`."""
    message = sink.to(address)[index]
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    found = re.search(r"https?://\S+/reader/link/\S+/", body)
    assert found, body
    return urlsplit(found.group(0)).path


@pytest.fixture
def admin() -> User:
    return staff_user("ada", roles.ADMIN)


@pytest.fixture
def reader_provider(
    live_server: LiveServer, settings: Any, tmp_path: Path
) -> Iterator[OidcProvider]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.skip("needs Node and `npm ci` (oidc-provider)")
    accounts = tmp_path / "readers.json"
    accounts.write_text(json.dumps(READERS))
    env = {
        "PATH": str(Path(node).parent),
        "OIDC_PORT": str(free_port()),
        "OIDC_ACCOUNTS_FILE": str(accounts),
        "OIDC_CLIENT_ID": READER_CLIENT_ID,
        "OIDC_CLIENT_SECRET": READER_CLIENT_SECRET,
        "OIDC_REDIRECT_URI": live_server.url + reverse("readers:oidc_callback"),
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
    settings.CANDOR_READER_OIDC_ISSUER = provider.issuer
    settings.CANDOR_READER_OIDC_CLIENT_ID = READER_CLIENT_ID
    settings.CANDOR_READER_OIDC_CLIENT_SECRET = READER_CLIENT_SECRET
    settings.CANDOR_READER_OIDC_LABEL = "Corp ID"
    yield provider
    provider.stop()
