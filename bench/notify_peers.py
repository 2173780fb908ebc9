"""The benchmark's sinks, each a process of its own: `smtp PORT LOG [REPLY_MS]` (aiosmtpd)
and `twilio PORT LOG` (an HTTP server answering Twilio's Messages API). Each appends one
line per message received, "<unix time> <bytes> <recipient>", to LOG.

REPLY_MS: the SMTP sink answers MAIL, RCPT and DATA that many milliseconds late, without
blocking its other connections, as a provider across the internet does (a round trip);
0, the default, answers at once."""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs


def smtp(port: int, log: Path, reply_ms: float = 0.0) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    out = log.open("a", buffering=1)
    late = reply_ms / 1000

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if late:
                await asyncio.sleep(late)
            out.write(f"{time.time():.6f} {len(envelope.content)} {envelope.rcpt_tos[0]}\n")
            return "250 OK"

    class LateHandler(Handler):
        async def handle_MAIL(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            await asyncio.sleep(late)
            envelope.mail_from, envelope.mail_options = address, options
            return "250 OK"

        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            await asyncio.sleep(late)
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"

    controller = Controller(LateHandler() if late else Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        time.sleep(3600)


def twilio(port: int, log: Path) -> None:
    out = log.open("a", buffering=1)
    count = 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API
        # The whole answer in one write: headers and body in two small packets would meet
        # the client's delayed ACK and cost 40 ms each.
        wbufsize = 64 * 1024

        def do_POST(self) -> None:
            nonlocal count
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            count += 1
            out.write(f"{time.time():.6f} {len(body)} {form.get('To')}\n")
            answer = json.dumps({"sid": f"SM{count:032d}", "status": "queued"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    kind, port, path = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    if kind == "smtp":
        smtp(port, path, float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
    else:
        twilio(port, path)
