"""The kiosk's choice of TURN server (kiosk/call/turn_route.py) against a real coturn:
with a pool of coturns the first whose UDP answers goes first; with none answering,
TURN over TLS does."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from devtools.launcher import free_port
from devtools.media_servers import coturn_config
from devtools.waiting import wait_for
from kiosk.call.turn_route import ice_servers_for_this_network, udp_answers

pytestmark = pytest.mark.slow


@pytest.fixture
def coturn(tmp_path):
    if shutil.which("turnserver") is None:
        pytest.skip("coturn is not installed; ./run test installs it")
    port, tls_port = free_port(), free_port()
    base = 30000 + port % 1000 * 10
    coturn_config(tmp_path, "127.0.0.1", port, tls_port, (base, base + 9))
    process = subprocess.Popen(
        ["turnserver", "-c", str(tmp_path / "turnserver.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: asyncio.run(udp_answers("127.0.0.1", port)), 20)
        yield port, tls_port
    finally:
        process.kill()
        process.wait(10)


def ice(*urls: str) -> list[dict]:
    return [{"urls": list(urls), "username": "1:kiosk", "credential": "x"}]


def test_the_first_coturn_of_the_pool_that_answers_goes_first(coturn):
    port, tls_port = coturn
    dead = free_port()  # nothing listens there: a coturn of the pool that is down
    servers = ice(
        f"turn:127.0.0.1:{dead}?transport=udp",
        f"turn:127.0.0.1:{port}?transport=udp",
        f"turns:127.0.0.1:{tls_port}?transport=tcp",
    )
    chosen = asyncio.run(ice_servers_for_this_network(servers))
    assert chosen[0]["urls"] == f"turn:127.0.0.1:{port}?transport=udp"
    assert len(chosen) == 3  # the others stay, after it


def test_with_no_udp_answering_turn_over_tls_goes_first():
    dead, other = free_port(), free_port()
    servers = ice(
        f"turn:127.0.0.1:{dead}?transport=udp",
        f"turn:127.0.0.1:{other}?transport=udp",
        "turns:127.0.0.1:5349?transport=tcp",
    )
    chosen = asyncio.run(ice_servers_for_this_network(servers))
    assert chosen[0]["urls"] == "turns:127.0.0.1:5349?transport=tcp"
