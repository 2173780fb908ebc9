"""Finding 5 of issue 13: behind the recommended TLS proxy every request connects from the
proxy. Rate limits and the sign-in lockout key on the client's address, read from
X-Forwarded-For only as far as CANDOR_TRUSTED_PROXIES wrote it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from incidents.client_address import client_address

PROXY = "127.0.0.1"  # nginx on the same host, as deploy/README.md has it


def _address(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # Nothing trusted (the default): the header is the client's to invent.
        ([], PROXY, "192.0.2.7", PROXY),
        ([], "192.0.2.7", None, "192.0.2.7"),
        # A trusted proxy's last hop is the client; what the client wrote before it is not.
        (["127.0.0.1/32"], PROXY, "192.0.2.7", "192.0.2.7"),
        (["127.0.0.1/32"], PROXY, "198.51.100.1, 192.0.2.7", "192.0.2.7"),
        (["127.0.0.1/32"], PROXY, "not-an-address, 192.0.2.7", "192.0.2.7"),
        # Two proxies, both trusted: walk past both.
        (["127.0.0.0/8", "10.0.0.0/8"], PROXY, "198.51.100.1, 192.0.2.7, 10.1.2.3", "192.0.2.7"),
        # A trusted proxy that sent no header: all we know is the proxy.
        (["127.0.0.1/32"], PROXY, None, PROXY),
        (["127.0.0.1/32"], PROXY, "", PROXY),
        # A header from a connection that is not a trusted proxy is ignored.
        (["127.0.0.1/32"], "192.0.2.99", "198.51.100.1", "192.0.2.99"),
        # IPv6, and IPv4 seen through an IPv6 socket.
        (["::1/128"], "::1", "2001:db8::5", "2001:db8::5"),
        (["127.0.0.1/32"], "::ffff:127.0.0.1", "192.0.2.7", "192.0.2.7"),
        # Every hop trusted: the leftmost is the best we know.
        (["10.0.0.0/8", "127.0.0.1/32"], PROXY, "10.0.0.5, 10.0.0.6", "10.0.0.5"),
    ],
)
def test_the_client_address_is_read_past_trusted_proxies_only(
    trusted: list[str], remote: str, forwarded: str | None, expected: str
) -> None:
    with override_settings(CANDOR_TRUSTED_PROXIES=trusted):
        assert _address(remote, forwarded) == expected


def _subscribe(client: Client, n: int, **extra: Any) -> int:
    data = {"channel": "email", "destination": f"u{n}@example.com", "scope": "all"}
    return client.post("/subscribe", data, REMOTE_ADDR=PROXY, **extra).status_code


@pytest.mark.django_db
@override_settings(CANDOR_TRUSTED_PROXIES=["127.0.0.1/32"], CANDOR_SUBSCRIBE_PER_IP=2)
def test_behind_a_trusted_proxy_each_visitor_has_their_own_subscribe_limit() -> None:
    client = Client()
    first = [_subscribe(client, n, HTTP_X_FORWARDED_FOR="192.0.2.1") for n in range(3)]
    other = [_subscribe(client, 10 + n, HTTP_X_FORWARDED_FOR="192.0.2.2") for n in range(2)]
    # A visitor cannot escape their limit by writing a header of their own before it.
    spoofed = _subscribe(client, 20, HTTP_X_FORWARDED_FOR="198.51.100.9, 192.0.2.1")
    assert (first, other, spoofed) == ([200, 200, 429], [200, 200], 429)


@pytest.mark.django_db
@override_settings(CANDOR_SUBSCRIBE_PER_IP=2)
def test_with_no_trusted_proxy_a_forwarded_header_does_not_evade_the_limit() -> None:
    client = Client()
    codes = [_subscribe(client, n, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(3)]
    assert codes == [200, 200, 429]


def _sign_in(client: Client, password: str, forwarded: str) -> str:
    response = client.post(
        reverse("console:login"),
        {"username": "rita", "password": password, "otp_token": ""},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.content.decode() if response.status_code == 200 else response["Location"]


@override_settings(CANDOR_TRUSTED_PROXIES=["127.0.0.1/32"], CANDOR_LOGIN_FAILURES_ALLOWED=3)
def test_behind_a_trusted_proxy_a_stranger_cannot_lock_staff_out(responder: User) -> None:
    for _ in range(3):
        assert "Please enter a correct username" in _sign_in(Client(), "wrong", "192.0.2.66")
    assert "Too many failed sign-ins" in _sign_in(Client(), "correct-horse-battery", "192.0.2.66")
    # Rita, at her own address behind the same proxy, signs in.
    assert _sign_in(Client(), "correct-horse-battery", "198.51.100.20") == "/console/"
