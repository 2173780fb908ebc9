"""A local HTTP server playing Twilio's Messages API, for the real twilio SDK to talk to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class TwilioDouble:
    url: str
    requests: list[tuple[str, str, dict[str, list[str]], str]] = field(default_factory=list)
    fail_for: set[str] = field(default_factory=set)  # numbers answered with a 400


@contextmanager
def twilio_double() -> Iterator[TwilioDouble]:
    double = TwilioDouble(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = parse_qs(self.rfile.read(length).decode())
            double.requests.append(
                (self.command, self.path, form, self.headers.get("Authorization", ""))
            )
            to = form.get("To", [""])[0]
            if to in double.fail_for:
                status, body = 400, {"code": 21211, "message": "Invalid 'To' Phone Number"}
            else:
                status, body = 201, {"sid": "SM" + "0" * 32, "status": "queued", "to": to}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
