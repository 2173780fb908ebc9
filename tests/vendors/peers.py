"""A vendor's status page on loopback: serves documents by path over real HTTP, with the
conditional-request behaviour of a CDN (ETag / If-None-Match and Last-Modified /
If-Modified-Since answered with 304) and faults on demand (a status code, a slow answer,
any body)."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.faults.postgres import free_port


@dataclass
class Page:
    body: bytes
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before answering
    validators: bool = True  # send ETag and Last-Modified
    modified: float = field(default_factory=time.time)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class VendorPeer:
    pages: dict[str, Page] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: _Server | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, **options: Any) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = Page(data, **options)

    def start(self) -> VendorPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                peer.requests.append({"path": self.path, "headers": headers})
                page = peer.pages.get(self.path) or Page(b"<h1>Not Found</h1>", status=404)
                if page.delay:
                    time.sleep(page.delay)
                etag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
                stamp = formatdate(page.modified, usegmt=True)
                fresh = (
                    page.validators
                    and page.status == 200
                    and (
                        headers.get("if-none-match") == etag
                        or (
                            "if-none-match" not in headers
                            and headers.get("if-modified-since") == stamp
                        )
                    )
                )
                self.send_response(304 if fresh else page.status)
                if page.validators and page.status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", stamp)
                body = b"" if fresh else page.body
                if not fresh:
                    self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
