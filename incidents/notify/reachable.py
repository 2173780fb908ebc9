"""Which addresses a webhook may connect to: globally routable unicast ones only.

`ipaddress.is_global` alone is not enough on Python 3.11 (it calls 100.64.0.0/10's
neighbours, multicast, NAT64 and IPv4-compatible addresses global), so the IANA
special-purpose blocks that are not globally reachable are listed here too, and an IPv4
address wrapped in IPv6 (mapped, NAT64) is judged by the IPv4 address inside. Tunnels
whose far end we cannot judge (6to4, Teredo) are refused outright.
"""

from __future__ import annotations

import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA IPv4/IPv6 Special-Purpose Address Registries: "Globally Reachable" False or N/A.
# 2001::/23 is refused whole, with the anycast services the registry carves out of it:
# no webhook receiver lives there.
_NOT_GLOBAL = [
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.170/31", "192.0.2.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23", "2001:db8::/32",
        "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
]  # fmt: skip
# RFC 6052: the well-known NAT64 prefix carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _inner(address: Address) -> Address:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def globally_reachable(address: Address) -> bool:
    """Whether `address` is a globally routable unicast address, unwrapped first."""
    address = _inner(address)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not any(address in block for block in _NOT_GLOBAL if block.version == address.version)
    )


def literal(host: str) -> Address | None:
    """The address `host` is written as, in any notation the C resolver accepts.

    `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all 127.0.0.1 to getaddrinfo
    (inet_aton); reading them here means the check sees what a connection would reach.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if (
        not host.isascii()
        or not all(c.isalnum() or c == "." for c in host)
        or not host[:1].isdigit()
    ):
        return None  # names: inet_aton would also take "1.2.3.4 trailing junk"
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
