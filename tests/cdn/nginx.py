"""A real nginx caching proxy (proxy_cache) on loopback in front of an origin, configured
by deploy/nginx-cache.conf, the README's "Behind a CDN" example: what it may serve stale
comes from the origin's Cache-Control alone (no proxy_cache_use_stale for errors), so the
tests prove our headers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "nginx-cache.conf"

# The process around deploy/nginx-cache.conf; the file itself is what the README documents.
CONFIG = """
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
{user}
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/candor-cache.conf;
}}
"""


def deployed_config(root: Path, *, port: int, origin: int) -> str:
    """deploy/nginx-cache.conf with its paths and ports moved onto this test's."""
    text = DEPLOYED.read_text()
    for documented, ours in (
        ("/var/cache/nginx/candor", f"{root}/cache"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("http://127.0.0.1:8000", f"http://127.0.0.1:{origin}"),
    ):
        assert documented in text, f"deploy/nginx-cache.conf no longer says {documented!r}"
        text = text.replace(documented, ours)
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: bytes
    cache: str
    headers: dict[str, str]


@dataclass
class CachingProxy:
    port: int
    process: subprocess.Popen[bytes]
    root: Path

    def get(self, path: str) -> Answer:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return Answer(
                    response.status,
                    response.read(),
                    response.headers.get("X-Cache-Status", ""),
                    dict(response.headers),
                )
        except urllib.error.HTTPError as error:
            return Answer(
                error.code, error.read(), error.headers.get("X-Cache-Status", ""),
                dict(error.headers),
            )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text() if path.exists() else ""


def caching_proxy(root: Path, origin_port: int) -> CachingProxy:
    if not os.path.exists(NGINX):
        raise RuntimeError("nginx is not installed: `make test` installs it (make nginx)")
    port = free_port()
    # As root, nginx's workers would switch to nobody, who cannot read a private tmp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    (root / "candor-cache.conf").write_text(deployed_config(root, port=port, origin=origin_port))
    (root / "nginx.conf").write_text(CONFIG.format(root=root, user=user))
    process = subprocess.Popen(
        [NGINX, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return CachingProxy(port, process, root)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("nginx did not listen within 10 s")
