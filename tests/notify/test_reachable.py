"""Webhooks reach only globally routable addresses: every block of IANA's special-purpose
registries that is not globally reachable is refused, however the address is written or
wrapped (IPv4-mapped, NAT64, 6to4, Teredo, decimal/octal/hex IPv4), at subscribe time and
for every resolved address. DNS is a stub: names not in it do not resolve."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from incidents.notify.addresses import webhook_address, webhook_normalise
from incidents.notify.reachable import globally_reachable

# IANA IPv4 Special-Purpose Address Registry: the blocks whose "Globally Reachable" is
# False or N/A, plus multicast (its own registry) and the deprecated 6to4 relay anycast.
IPV4_SPECIAL = [
    "0.0.0.0/8",  # this network (RFC 791)
    "10.0.0.0/8",  # private use (RFC 1918)
    "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598)
    "127.0.0.0/8",  # loopback (RFC 1122)
    "169.254.0.0/16",  # link local (RFC 3927), cloud metadata
    "172.16.0.0/12",  # private use (RFC 1918)
    "192.0.0.0/29",  # IPv4 service continuity prefix, DS-Lite (RFC 7335)
    "192.0.0.8/32",  # IPv4 dummy address (RFC 7600)
    "192.0.0.170/31",  # NAT64/DNS64 discovery (RFC 8880)
    "192.0.2.0/24",  # documentation TEST-NET-1 (RFC 5737)
    "192.88.99.0/24",  # deprecated 6to4 relay anycast (RFC 7526)
    "192.168.0.0/16",  # private use (RFC 1918)
    "198.18.0.0/15",  # benchmarking (RFC 2544)
    "198.51.100.0/24",  # documentation TEST-NET-2 (RFC 5737)
    "203.0.113.0/24",  # documentation TEST-NET-3 (RFC 5737)
    "224.0.0.0/4",  # multicast (RFC 5771)
    "240.0.0.0/4",  # reserved (RFC 1112)
    "255.255.255.255/32",  # limited broadcast (RFC 919)
]

# IANA IPv6 Special-Purpose Address Registry, likewise, plus multicast and site-local.
# (::ffff:0:0/96, IPv4-mapped, is judged by the IPv4 address inside: tested below.)
IPV6_SPECIAL = [
    "::/128",  # unspecified (RFC 4291)
    "::1/128",  # loopback (RFC 4291)
    "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation (RFC 8215)
    "100::/64",  # discard-only (RFC 6666)
    "100:0:0:1::/64",  # dummy IPv6 prefix (RFC 9780)
    "2001::/32",  # Teredo (RFC 4380)
    "2001:2::/48",  # benchmarking (RFC 5180)
    "2001:10::/28",  # deprecated ORCHID (RFC 4843)
    "2001:db8::/32",  # documentation (RFC 3849)
    "2002::/16",  # 6to4 (RFC 3056)
    "3fff::/20",  # documentation (RFC 9637)
    "5f00::/16",  # segment routing SIDs (RFC 9602)
    "fc00::/7",  # unique local (RFC 4193)
    "fe80::/10",  # link-local unicast (RFC 4291)
    "fec0::/10",  # deprecated site-local (RFC 3879)
    "ff00::/8",  # multicast (RFC 4291)
]


def _samples(block: str) -> list[str]:
    """The first, a middle and the last address of a block."""
    network = ipaddress.ip_network(block)
    middle = network[network.num_addresses // 2]
    return sorted({str(network[0]), str(middle), str(network[-1])})


SPECIAL = [(block, a) for block in IPV4_SPECIAL + IPV6_SPECIAL for a in _samples(block)]
GLOBAL = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]


@pytest.mark.parametrize(("block", "address"), SPECIAL)
def test_no_address_of_a_special_purpose_block_is_reachable(block: str, address: str) -> None:
    assert not globally_reachable(ipaddress.ip_address(address)), block


@pytest.mark.parametrize("address", GLOBAL)
def test_global_addresses_are_reachable(address: str) -> None:
    assert globally_reachable(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:100.64.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 well-known prefix around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # ... around 169.254.169.254
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:808:808::1",  # 6to4 even around a global address: a relay we do not control
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::127.0.0.1",  # deprecated IPv4-compatible
        "::8.8.8.8",
    ],
)
def test_wrapped_inner_addresses_are_refused(address: str) -> None:
    assert not globally_reachable(ipaddress.ip_address(address))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A stub resolver: names in the dict answer its addresses, every other name fails."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "stub resolver: unknown name")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[ipaddress.ip_address(a).version], socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def production(settings: Any) -> None:
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x64400001", "0251.0376.0251.0376"],
)
def test_decimal_octal_and_hex_ipv4_are_read_as_the_address_they_are(
    production: None, dns: dict[str, list[str]], host: str
) -> None:
    with pytest.raises(ValidationError, match="not globally routable"):
        webhook_address(host)


@pytest.mark.parametrize(("block", "address"), SPECIAL)
def test_a_name_resolving_to_any_special_address_is_refused_when_subscribing(
    production: None, dns: dict[str, list[str]], block: str, address: str
) -> None:
    dns["hooks.example.test"] = ["8.8.8.8", address]  # one bad answer among good ones
    with pytest.raises(ValidationError, match="not globally routable"):
        webhook_normalise("https://hooks.example.test/hook")


def test_a_name_resolving_only_to_global_addresses_is_accepted_and_pinned(
    production: None, dns: dict[str, list[str]]
) -> None:
    dns["hooks.example.test"] = ["2606:4700:4700::1111", "8.8.8.8"]
    assert webhook_normalise("https://hooks.example.test/hook") == "https://hooks.example.test/hook"
    assert webhook_address("hooks.example.test") == "2606:4700:4700::1111"


def test_a_name_that_does_not_resolve_is_refused(
    production: None, dns: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError, match="does not resolve"):
        webhook_normalise("https://nowhere.example.test/hook")
