"""A private network for call tests: a network namespace joined to this one by a veth pair.

WebRTC peers gather candidates from every interface but loopback, so on a
plain machine a test call would send media over the machine's real network
address. Here the media servers and the call's participants run inside a
namespace whose only interface is one end of a veth pair with an address from
198.18.0.0/15 (RFC 2544's benchmarking range, never routed). The other end
stays in this namespace, so tests reach everything inside over that pair and
nothing leaves the machine.

Needs root (CAP_NET_ADMIN), as CI and the demo's test machine have.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass


class NoTestNetwork(RuntimeError):
    pass


def _ip(*args: str, namespace: str | None = None) -> None:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    result = subprocess.run(
        [*prefix, "ip", *args], capture_output=True, text=True, timeout=10, check=False
    )
    if result.returncode != 0:
        raise NoTestNetwork(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _nft(namespace: str, rules: str) -> None:
    if shutil.which("nft") is None:
        raise NoTestNetwork("nft is missing: apt-get install nftables")
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", "-"],
        input=rules,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if result.returncode != 0:
        raise NoTestNetwork(f"nft: {result.stderr.strip()}")


@dataclass
class TestNetwork:
    """`inside` is the address of the namespace's end, `outside` this namespace's end."""

    name: str
    inside: str
    outside: str

    __test__ = False  # not a pytest test class

    @property
    def prefix(self) -> list[str]:
        """Put before a command to run it inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """Every packet into or out of the namespace is dropped from now on, as when a
        kiosk's link goes dead. Dropped on the namespace's end of the wire (nftables'
        netdev ingress and egress hooks; tc/netem is not available): programs' sends
        still succeed, as over a real dead link, where an output-hook drop would hand
        them errors (EPERM) a real network never gives."""
        _nft(self.name, self._wire_filter("blackout", "drop"))

    def restore(self) -> None:
        _nft(self.name, "delete table netdev blackout")

    def block_udp(self) -> None:
        """UDP into or out of the namespace is dropped (TCP passes), as on networks that
        allow only web traffic."""
        _nft(self.name, self._wire_filter("no_udp", "accept", "ip protocol udp drop;"))

    def allow_udp(self) -> None:
        _nft(self.name, "delete table netdev no_udp")

    def only_udp_to(self, port: int) -> None:
        """UDP into or out of the namespace passes only to and from `port` (the link
        relay in front of coturn): media cannot go around it on host candidates."""
        device = f"{self.name}i"
        _nft(
            self.name,
            "table netdev only_relay {\n"
            f'chain wire_in {{ type filter hook ingress device "{device}" priority 0; '
            f"policy accept; ip protocol udp udp dport != {port} drop; }}\n"
            f'chain wire_out {{ type filter hook egress device "{device}" priority 0; '
            f"policy accept; ip protocol udp udp sport != {port} drop; }}\n"
            "}\n",
        )

    def _wire_filter(self, table: str, policy: str, rule: str = "") -> str:
        device = f"{self.name}i"
        chains = [
            f'chain wire_{way} {{ type filter hook {hook} device "{device}" priority 0; '
            f"policy {policy}; {rule} }}"
            for way, hook in (("in", "ingress"), ("out", "egress"))
        ]
        return f"table netdev {table} {{\n" + "\n".join(chains) + "\n}\n"

    def remove(self) -> None:
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "delete", f"{self.name}o"], capture_output=True, timeout=10)


def create_test_network(index: int | None = None) -> TestNetwork:
    """A new namespace `ppN`, inside 198.18.N.2, outside 198.18.N.1 (N from the pid)."""
    if shutil.which("ip") is None:
        raise NoTestNetwork("the ip command is missing: apt-get install iproute2")
    if os.geteuid() != 0:
        raise NoTestNetwork("creating a network namespace needs root")
    n = (os.getpid() % 250) + 1 if index is None else index
    name = f"pp{n}"
    net = TestNetwork(name=name, inside=f"198.18.{n}.2", outside=f"198.18.{n}.1")
    net.remove()  # a namespace a killed run left behind
    try:
        _ip("netns", "add", name)
        _ip("link", "set", "lo", "up", namespace=name)
        _ip("link", "add", f"{name}o", "type", "veth", "peer", "name", f"{name}i")
        _ip("link", "set", f"{name}i", "netns", name)
        _ip("addr", "add", f"{net.outside}/24", "dev", f"{name}o")
        _ip("link", "set", f"{name}o", "up")
        _ip("addr", "add", f"{net.inside}/24", "dev", f"{name}i", namespace=name)
        _ip("link", "set", f"{name}i", "up", namespace=name)
        # Answers to this machine's other addresses go back over the pair (and are
        # delivered locally there): a peer whose ICE or TURN tries every local address
        # gets answers instead of waiting for timeouts. Nothing is routed onwards.
        _ip("route", "add", "default", "via", net.outside, namespace=name)
    except BaseException:
        net.remove()
        raise
    return net
