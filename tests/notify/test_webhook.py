"""Webhook connections go to the one address that was checked, and speak TLS to the name.

DNS is stood in for by patching socket.getaddrinfo, and no connection may leave the
machine: one to a non-loopback address is recorded and refused at the socket."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, Subscriber, SubscriberChannel
from incidents.notify.transports import TransportError
from incidents.notify.transports.webhook import WebhookSession, webhook_post
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import tls_server_for, webhook_receiver

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"  # any global address: the socket guard below refuses it
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


@dataclass
class Dns:
    """Each name in `answers` answers its lists of addresses in turn, the last one for good;
    IP literals resolve to themselves, and any other name does not resolve (no real DNS).
    `lookups` records every name asked for."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        self.lookups.append(host)
        if host not in self.answers:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"stub resolver: {host}") from None
            return _real_getaddrinfo(host, port, *args, **kwargs)
        turns = self.answers[host]
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        tcp = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
        return [(*tcp, (address, port or 0)) for address in addresses]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    stand_in = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", stand_in.getaddrinfo)
    return stand_in


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """The connections attempted to addresses off this machine, each refused."""
    attempts: list[tuple[str, int]] = []

    def connect(sock: socket.socket, address: Any) -> None:
        internet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if internet and not ipaddress.ip_address(address[0]).is_loopback:
            attempts.append((address[0], address[1]))
            raise ConnectionRefusedError(f"test: no traffic to {address[0]}")
        _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts


@pytest.fixture
def production(settings: Any) -> None:
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = False  # the production default


@pytest.fixture
def publish(actor: Actor, django_capture_on_commit_callbacks: Any) -> Callable[[], Delivery]:
    """Open an incident, run its fan-out, and return the one delivery."""

    def run() -> Delivery:
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
        return Delivery.objects.get()

    return run


def test_a_host_that_rebinds_after_the_check_is_connected_at_the_checked_address(
    production: None, dns: Dns, outside: list[tuple[str, int]], publish: Callable[[], Delivery]
) -> None:
    inside = webhook_receiver(lambda path: "unused")  # a service on our own network
    dns.answers["hooks.test"] = [[PUBLIC], ["127.0.0.1"]]
    try:
        subscriber(SubscriberChannel.WEBHOOK, f"http://hooks.test:{inside.port}/hook")
        delivery = publish()
    finally:
        inside.stop()
    assert dns.lookups.count("hooks.test") == 1
    assert outside == [(PUBLIC, inside.port)]
    assert inside.requests == []
    # The refused connection is an unreachable receiver: retried, and checked again then.
    assert delivery.state == "failed"
    assert "Webhook unreachable" in delivery.last_error


@pytest.mark.parametrize("inside", ["169.254.169.254", "100.64.0.1", "64:ff9b::7f00:1"])
def test_a_host_with_any_private_address_is_refused_and_retried_not_stopped(
    production: None,
    dns: Dns,
    outside: list[tuple[str, int]],
    publish: Callable[[], Delivery],
    inside: str,
) -> None:
    dns.answers["hooks.test"] = [[PUBLIC, inside]]
    hook = subscriber(SubscriberChannel.WEBHOOK, "http://hooks.test/hook")
    delivery = publish()
    assert outside == []  # nothing posted anywhere
    # Our resolver may be the one pointing inside: the message waits, the subscriber stays.
    assert delivery.state == "failed"
    assert f"resolves to {inside}, which is not globally routable" in delivery.last_error
    assert Subscriber.objects.get(pk=hook.pk).state == "confirmed"


def test_https_is_verified_against_the_hostname_not_the_pinned_address(
    dns: Dns, tmp_path: Path
) -> None:
    context, ca_file = tls_server_for("hooks.test", tmp_path)
    server_names: list[str | None] = []

    def remember(sock: ssl.SSLSocket, name: str | None, ctx: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = remember
    receiver = webhook_receiver(lambda path: "s3cret", tls=context)
    dns.answers["hooks.test"] = [["127.0.0.1"]]
    dns.answers["other.test"] = [["127.0.0.1"]]  # the same server, not named in its cert

    def post(session: WebhookSession, host: str) -> Any:
        url = f"https://{host}:{receiver.port}/hook"
        return webhook_post(session, url=url, secret="s3cret", payload={"type": "t"}, key="k")

    try:
        with WebhookSession() as session:
            session.verify = str(ca_file)
            answer = post(session, "hooks.test")
            with pytest.raises(TransportError, match="SSLError"):
                post(session, "other.test")
    finally:
        receiver.stop()
    assert answer.status_code == 200
    assert server_names == ["hooks.test", "other.test"]
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"hooks.test:{receiver.port}"
    assert request["verified"]
