"""Separate hosts on one machine: a Linux network namespace per node, each with its own
address on a private bridge (10.213.<n>.0/24, made for the test and removed after it).
Cutting a node's network takes its link down, as a failed switch port or a partition
would: its processes keep running and cannot reach anything, nor be reached."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def netns_available() -> str:
    """Why namespaces cannot be made here, or "" when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"candor-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, timeout=30)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.decode().strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=30)
    return ""


@dataclass
class Node:
    name: str
    namespace: str
    address: str
    host_link: str

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def cut(self) -> None:
        _ip("link", "set", self.host_link, "down")

    def reconnect(self) -> None:
        _ip("link", "set", self.host_link, "up")


@dataclass
class Network:
    """A bridge in this namespace (the "switch", where PostgreSQL, Redis and the SMTP
    sink listen at .1) and nodes at .11, .12, ..."""

    tag: str = field(default_factory=lambda: f"{os.getpid() % 100000}")
    subnet: int = field(default_factory=lambda: 1 + os.getpid() % 250)
    nodes: list[Node] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"cbr{self.tag}"

    @property
    def gateway(self) -> str:
        return f"10.213.{self.subnet}.1"

    @property
    def cidr(self) -> str:
        return f"10.213.{self.subnet}.0/24"

    def up(self) -> Network:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def node(self, name: str) -> Node:
        index = len(self.nodes) + 1
        namespace = f"candor-{self.tag}-{name}"
        host_link, inner = f"cv{self.tag}h{index}", f"cv{self.tag}n{index}"
        address = f"10.213.{self.subnet}.{10 + index}"
        _ip("netns", "add", namespace)
        self.nodes.append(Node(name, namespace, address, host_link))
        _ip("link", "add", host_link, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", namespace)
        _ip("link", "set", host_link, "master", self.bridge)
        _ip("link", "set", host_link, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", inner)
        _ip("-n", namespace, "link", "set", inner, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        return self.nodes[-1]

    def down(self) -> None:
        for node in self.nodes:
            subprocess.run(["ip", "link", "del", node.host_link], capture_output=True, timeout=30)
            subprocess.run(["ip", "netns", "del", node.namespace], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=30)
