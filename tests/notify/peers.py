"""Real local peers the notification tests talk to: an SMTP server, an HTTP server that
plays Twilio's REST API, and webhook receivers (plain or TLS, with a certificate from a
throwaway CA). Each runs on loopback in this process."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.faults.postgres import free_port


def _opened(gate: threading.Event) -> threading.Event:
    gate.set()
    return gate


@dataclass
class SmtpSink:
    """aiosmtpd on loopback; `refuse` answers every message with that reply instead.

    `refuse_rcpt(address)` may answer a recipient with a refusal ("554 ...") instead of
    taking it; every RCPT is counted in `rcpts` as (monotonic time, address).
    `refuse_mail` refuses the sender (MAIL FROM) of every message."""

    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)
    refuse: str = ""
    refuse_rcpt: Callable[[str], str] | None = None
    refuse_mail: str = ""  # answers MAIL FROM with this refusal
    rcpts: list[tuple[float, str]] = field(default_factory=list)
    delay: float = 0.0
    # Cleared: every message waits at DATA, unanswered, until it is set again.
    gate: threading.Event = field(default_factory=lambda: _opened(threading.Event()))
    # Set when a message is waiting at the closed gate: a sender is certainly mid-message.
    holding: threading.Event = field(default_factory=threading.Event)
    controller: Controller | None = None
    host: str = "127.0.0.1"

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self.rcpts.append((time.monotonic(), address))
        if self.refuse_rcpt is not None and (refusal := self.refuse_rcpt(address)):
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.gate.is_set():
            self.holding.set()
        self.gate.wait(timeout=60)  # (set unless a test holds the messages)
        if self.delay:
            time.sleep(self.delay)  # a slow provider holds the connection
        if self.refuse:
            return self.refuse
        message = message_from_bytes(envelope.content)  # type: ignore[arg-type]
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        message["X-Peer"] = repr(session.peer)  # the client's address and port: its connection
        self.messages.append(message)
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class HttpPeer:
    """A loopback HTTP server recording every request; `answer` decides each reply.

    With `tls` it speaks HTTPS with that server context."""

    # (status, body) or (status, body, headers)
    answer: Callable[[HttpPeer, dict[str, Any]], tuple[Any, ...]]
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    tls: ssl.SSLContext | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)  # status codes to answer first
    server: _Server | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> HttpPeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length),
                }
                status, body, *more = peer.answer(peer, request)
                headers = {"Content-Type": "application/json", **(more[0] if more else {})}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server((self.host, self.port), Handler)
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def twilio_answer(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
    """Twilio's Messages.json: a queued message with a SID, or the status queued first."""
    form = {k: v[0] for k, v in parse_qs(request["body"].decode()).items()}
    request["form"] = form
    user, _, password = (
        base64.b64decode(request["headers"]["authorization"].split()[1]).decode().partition(":")
    )
    request["auth"] = (user, password)
    status = peer.queue.pop(0) if peer.queue else 201
    if status >= 400:
        error = {
            "code": 20429 if status == 429 else 20500,
            "message": "Try later",
            "status": status,
        }
        return status, json.dumps(error).encode()
    sid = f"SM{len(peer.requests):032d}"
    body = {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body"),
            "messaging_service_sid": form.get("MessagingServiceSid")}  # fmt: skip
    return status, json.dumps(body).encode()


def twilio_double() -> HttpPeer:
    def answer(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
        peer.requests.append(request)
        return twilio_answer(peer, request)

    return HttpPeer(answer=answer).start()


def webhook_receiver(
    secret_for: Callable[[str], str],
    *,
    echo: bool = True,
    host: str = "127.0.0.1",
    port: int | None = None,
    tls: ssl.SSLContext | None = None,
) -> HttpPeer:
    """Verifies X-Candor-Signature as a subscriber's receiver would; 401 if it is wrong."""
    from incidents.notify.transports.webhook import signature_valid

    def answer(peer: HttpPeer, request: dict[str, Any]) -> tuple[int, bytes]:
        request["json"] = json.loads(request["body"])
        secret = secret_for(request["path"])
        request["verified"] = signature_valid(
            secret, request["body"], request["headers"].get("x-candor-signature", "")
        )
        peer.requests.append(request)
        if peer.queue:
            return peer.queue.pop(0), b"{}"
        if not request["verified"]:
            return 401, b"{}"
        if echo and request["json"].get("type") == "verification":
            return 200, json.dumps({"challenge": request["json"]["challenge"]}).encode()
        return 200, b"{}"

    return HttpPeer(answer=answer, port=port or free_port(), host=host, tls=tls).start()


def tls_server_for(hostname: str, directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context whose certificate names `hostname`, issued by a throwaway CA, and
    the CA's certificate file, for a client to trust."""
    now = datetime.now(UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Candor test CA")])
    ca = (
        issue("Candor test CA", ca_key, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        issue(hostname, key, ca.subject, ca_key)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / name for name in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file
