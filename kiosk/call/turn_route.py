"""Which of central's TURN servers the kiosk's aiortc uses.

aiortc takes only the first TURN URL it is given, and its own candidates are UDP only.
On a network that blocks UDP (some public-sector guest networks do) a UDP TURN server
then leaves the kiosk with no way to the media server at all. So before a call (and
before each rebuild, as the network may have changed) the kiosk asks the UDP TURN
server for a STUN binding; if it answers, UDP it is; if not, the next UDP TURN server
of the list is asked (a pool of coturns), and when none answers the TURN over TLS
(`turns:`, over TCP) or TCP URL goes first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aioice import stun

log = logging.getLogger("kiosk.call")

_URL = re.compile(r"(?P<scheme>turns?):(?P<host>[^?:]+)(:(?P<port>\d+))?(\?transport=(?P<t>\w+))?")


def _parts(url: str) -> tuple[str, str, int, str] | None:
    match = _URL.fullmatch(url)
    if match is None:
        return None
    scheme = match["scheme"]
    port = int(match["port"] or (5349 if scheme == "turns" else 3478))
    transport = match["t"] or ("tcp" if scheme == "turns" else "udp")
    return scheme, match["host"], port, transport


async def udp_answers(host: str, port: int, timeout_s: float = 0.7, tries: int = 2) -> bool:
    """Does a STUN binding request over UDP get an answer? (TURN servers answer them.)"""
    loop = asyncio.get_running_loop()
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    answered: asyncio.Future[bool] = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            try:
                message = stun.parse_message(data)
            except ValueError:
                return
            if message.transaction_id == request.transaction_id and not answered.done():
                answered.set_result(True)

    try:
        transport, _ = await loop.create_datagram_endpoint(Probe, remote_addr=(host, port))
    except OSError:
        return False
    try:
        for _ in range(tries):
            transport.sendto(bytes(request))
            try:
                return await asyncio.wait_for(asyncio.shield(answered), timeout_s)
            except TimeoutError:
                continue
        return False
    finally:
        transport.close()


async def ice_servers_for_this_network(servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Central's ICE servers, one URL each, with the TURN URL that works here first."""
    single = [
        {**server, "urls": url}
        for server in servers
        for url in ([server["urls"]] if isinstance(server["urls"], str) else server["urls"])
    ]
    turn = [(s, p) for s in single if (p := _parts(s["urls"])) is not None]
    # Several coturns (a pool): the first whose UDP answers.
    first = None
    for server, parts in turn:
        if parts[0] == "turn" and parts[3] == "udp" and await udp_answers(parts[1], parts[2]):
            first = server
            break
    if first is None:
        streams = [(s, p) for s, p in turn if p[3] == "tcp"]
        streams.sort(key=lambda sp: sp[1][0] != "turns")  # TLS first: it passes more proxies
        if not streams:
            return single
        first = streams[0][0]
        log.info("UDP to the TURN server gets no answer: using %s", first["urls"])
    return [first, *(s for s in single if s is not first)]
