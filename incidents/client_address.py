"""The address a request came from, for rate limits, sign-in lockout and the audit log.

Behind a reverse proxy every request connects from the proxy, so the client's own address
is in X-Forwarded-For, which anyone can also write. Only the hops added by proxies listed
in CANDOR_TRUSTED_PROXIES (CIDRs; empty by default) are believed: the header is read from
the right, past trusted proxies only, and the first address not among them is the client.
With no trusted proxy the header is ignored and the connecting address is the client.

A hand-written walk rather than a library: django-ipware / python-ipware match trusted
proxies by string prefix, not by network, and prefer the leftmost (client-written) hop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks_parse(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) as networks; ValueError names the first bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return trusted_networks_parse(values)


def _address(value: str) -> Address | None:
    try:
        found = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket counts as itself.
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def client_address(request: HttpRequest) -> str:
    """The client's address as a string ("" if the connection has none)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    networks = _trusted(tuple(settings.CANDOR_TRUSTED_PROXIES))
    current = _address(remote)
    if current is None or not networks:
        return str(current) if current is not None else remote

    def trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed(hops):
        if not trusted(current):
            break
        previous = _address(hop)
        if previous is None:
            # Not an address: written by the client, not by a proxy we trust. The last
            # trusted proxy's peer is the best we know.
            break
        current = previous
    return str(current)
