"""A poor link the tests control: a UDP relay in front of coturn that drops, delays and
limits the kiosk's traffic, as a rural service point's link does.

tc/netem is not available where the tests run, so the link is made here. The relay
listens where clients are told the TURN server is and passes every datagram on to
coturn, each client through an upstream socket of its own (coturn tells them apart
by address). A client is known as the kiosk's by the TURN username central gave it
(`<expiry>:kiosk-…`, read from its first STUN/TURN request); only those are impaired,
so the official's browser, which uses the same relay, keeps a good link.

Both directions of the kiosk's link are one bottleneck each (all its connections
share it): a drop-tail queue drained at `rate_kbit` (at most `queue_ms` deep), then
`delay_ms` one way, and `loss` (0–1) of the datagrams dropped at random. The test
writes the conditions as JSON to the control file; the relay reads it every 0.2 s
and writes what it did (datagrams passed and dropped, per direction) beside it.

    python -m devtools.link_relay --listen 198.18.7.2:0 --to 198.18.7.2:3478 \\
        --control /tmp/link.json      # writes the port it got to /tmp/link.port
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devtools.processes import stop_all
from devtools.test_network import TestNetwork

STUN_MAGIC = 0x2112A442
USERNAME = 0x0006
IMPAIRED_USER = ":kiosk-"
IDLE_CLIENT_S = 120.0


@dataclass
class Conditions:
    loss: float = 0.0
    delay_ms: float = 0.0
    rate_kbit: float = 0.0  # 0: unlimited
    queue_ms: float = 200.0

    @classmethod
    def read(cls, path: Path) -> Conditions:
        try:
            raw = json.loads(path.read_text() or "{}")
        except (OSError, ValueError):
            return cls()
        known = {k: float(v) for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Counts:
    passed: int = 0
    lost: int = 0  # dropped at random
    overflowed: int = 0  # dropped because the queue was full
    queued_ms_max: float = 0.0


def stun_username(datagram: bytes) -> str | None:
    """The USERNAME of a STUN/TURN message (RFC 5389), or None if it is not one."""
    if len(datagram) < 20 or datagram[0] & 0xC0:
        return None
    _type, length, magic = struct.unpack_from("!HHI", datagram)
    if magic != STUN_MAGIC or 20 + length > len(datagram):
        return None
    at = 20
    while at + 4 <= 20 + length:
        kind, size = struct.unpack_from("!HH", datagram, at)
        if kind == USERNAME:
            return datagram[at + 4 : at + 4 + size].decode("utf-8", "replace")
        at += 4 + size + (-size % 4)
    return None


@dataclass
class Bottleneck:
    """One direction of the kiosk's link."""

    counts: Counts = field(default_factory=Counts)
    free_at: float = 0.0  # when the queue has sent what it holds

    def send(self, conditions: Conditions, size: int, deliver: Any) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if conditions.loss and random.random() < conditions.loss:
            self.counts.lost += 1
            return
        if conditions.rate_kbit > 0:
            start = max(now, self.free_at)
            queued_s = start - now
            if queued_s * 1000 > conditions.queue_ms:
                self.counts.overflowed += 1
                return
            self.free_at = start + size * 8 / (conditions.rate_kbit * 1000)
            self.counts.queued_ms_max = max(self.counts.queued_ms_max, queued_s * 1000)
            leaves = self.free_at
        else:
            leaves = now
        self.counts.passed += 1
        at = leaves + conditions.delay_ms / 1000
        if at <= now:
            deliver()
        else:
            loop.call_at(at, deliver)


class Upstream(asyncio.DatagramProtocol):
    """One client's socket towards coturn; what coturn answers goes back to the client."""

    def __init__(self, relay: LinkRelay, client: tuple[str, int]) -> None:
        self.relay = relay
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.impaired = False
        self.seen_at = time.monotonic()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, _addr: Any) -> None:
        self.relay.to_client(self, data)


class LinkRelay(asyncio.DatagramProtocol):
    def __init__(self, turn: tuple[str, int], control: Path) -> None:
        self.turn = turn
        self.control = control
        self.conditions = Conditions()
        self.up = Bottleneck()  # kiosk → coturn
        self.down = Bottleneck()  # coturn → kiosk
        self.clients: dict[tuple[str, int], Upstream] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, client: tuple[str, int]) -> None:
        upstream = self.clients.get(client)
        if upstream is None:
            upstream = self.clients[client] = Upstream(self, client)
            asyncio.get_running_loop().create_task(self._connect(upstream))
        upstream.seen_at = time.monotonic()
        if not upstream.impaired:
            user = stun_username(data)
            upstream.impaired = bool(user and IMPAIRED_USER in user)
        self._pass(upstream, data, self.up, lambda: self._to_turn(upstream, data))

    async def _connect(self, upstream: Upstream) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: upstream, remote_addr=self.turn)

    def _to_turn(self, upstream: Upstream, data: bytes) -> None:
        if upstream.transport is not None:
            upstream.transport.sendto(data)

    def to_client(self, upstream: Upstream, data: bytes) -> None:
        def deliver() -> None:
            if self.transport is not None:
                self.transport.sendto(data, upstream.client)

        self._pass(upstream, data, self.down, deliver)

    def _pass(self, upstream: Upstream, data: bytes, way: Bottleneck, deliver: Any) -> None:
        if upstream.impaired:
            way.send(self.conditions, len(data) + 28, deliver)  # + IP and UDP headers
        elif upstream.transport is not None or way is self.down:
            deliver()
        else:  # the upstream socket is a moment from open: keep the order
            asyncio.get_running_loop().call_later(0.005, deliver)

    async def keep_reading(self) -> None:
        stats = self.control.with_suffix(".counts.json")
        while True:
            self.conditions = Conditions.read(self.control)
            stats.write_text(
                json.dumps({"up": asdict(self.up.counts), "down": asdict(self.down.counts)})
            )
            now = time.monotonic()
            for client, upstream in list(self.clients.items()):
                if now - upstream.seen_at > IDLE_CLIENT_S:  # bounded: old clients go
                    if upstream.transport is not None:
                        upstream.transport.close()
                    del self.clients[client]
            await asyncio.sleep(0.2)


@dataclass
class LinkRelayProcess:
    """The relay running in the call's namespace, and the handle the test holds."""

    port: int  # where it listens, on the namespace's address
    turn_url: str  # what clients are told the TURN server is
    control: Path
    process: Any

    def set(self, **conditions: float) -> None:
        """New conditions (loss, delay_ms, rate_kbit, queue_ms); unnamed ones reset."""
        self.control.write_text(json.dumps(asdict(Conditions(**conditions))))
        time.sleep(0.5)  # read within 0.2 s

    def counts(self) -> dict[str, dict[str, float]]:
        try:
            return json.loads(self.control.with_suffix(".counts.json").read_text())
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        stop_all([self.process])


def start_link_relay(net: TestNetwork, turn_port: int, folder: Path) -> LinkRelayProcess:
    """The relay in front of coturn's UDP port, inside the test network's namespace,
    with UDP around it dropped: media can reach coturn only through it."""
    folder.mkdir(parents=True, exist_ok=True)
    control = folder / "link.json"
    control.write_text("{}")
    bound = control.with_suffix(".port")
    root = Path(__file__).resolve().parents[1]
    log = (folder / "link_relay.log").open("wb")
    process = subprocess.Popen(
        [*net.prefix, sys.executable, "-m", "devtools.link_relay", "--listen",
         f"{net.inside}:0", "--to", f"{net.inside}:{turn_port}", "--control", str(control)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not bound.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"the link relay did not start: {(folder / 'link_relay.log').read_text()}"
            )
        time.sleep(0.05)
    port = int(bound.read_text())
    net.only_udp_to(port)
    return LinkRelayProcess(port, f"turn:{net.inside}:{port}?transport=udp", control, process)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


async def serve(listen: tuple[str, int], turn: tuple[str, int], control: Path) -> None:
    relay = LinkRelay(turn, control)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: relay, local_addr=listen)
    port = transport.get_extra_info("sockname")[1]  # port 0: the system's choice
    print(f"link relay on {listen[0]}:{port} → {turn[0]}:{turn[1]}", flush=True)
    control.with_suffix(".port").write_text(str(port))  # last: the starter waits for it
    await relay.keep_reading()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="IP:PORT clients send TURN to")
    parser.add_argument("--to", required=True, help="coturn's IP:PORT (UDP)")
    parser.add_argument("--control", required=True, type=Path, help="the conditions' JSON file")
    args = parser.parse_args(argv)
    asyncio.run(serve(_address(args.listen), _address(args.to), args.control))


if __name__ == "__main__":
    main()
