"""A call through faults: a 5 s blackout, an outage past aiortc's 30 s consent timeout,
the official's tab closed and reopened, and central restarted, with the desk in
Chromium forced through TURN (coturn) where it matters.

The blackout drops every packet into and out of the media servers' namespace
(devtools/test_network.py): Janus, coturn and their signalling go dark together,
as when a kiosk's link dies. Recovery times are printed here and measured in
bench/call.py; the tests assert recovery, not its wall-clock time."""

from __future__ import annotations

import time

import pytest

from devtools.waiting import wait_for
from tests.calls.conftest import connected_call, end, open_desk
from tests.support.kiosk_side import desk_sees, kiosk_sees

pytestmark = pytest.mark.slow

SELECTED_PAIR = """async () => {
  const media = window.deskMedia();
  if (!media || !media.subscriberPc) return null;
  const stats = await media.subscriberPc.getStats();
  let pair = null;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
  if (!pair) stats.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
  return pair ? stats.get(pair.localCandidateId).candidateType : null;
}"""  # noqa: E501


def frames_flow(kiosk, page, seconds=30.0) -> tuple[float, float]:
    """Seconds until new frames arrive at the kiosk and at the desk (watched together)."""
    start = time.monotonic()
    kiosk_before, desk_before = kiosk.received, desk_frames(page)
    at: dict[str, float] = {}
    while time.monotonic() - start < seconds and len(at) < 2:
        now = time.monotonic() - start
        if "kiosk" not in at and kiosk.received > kiosk_before + 5:
            at["kiosk"] = now
        if "desk" not in at and desk_receives(page, desk_before):
            at["desk"] = now
        time.sleep(0.05)
    assert "kiosk" in at, "no media at the kiosk"
    assert "desk" in at, f"no media at the desk: {page.evaluate(DESK_STATE)}"
    return at["kiosk"], at["desk"]


DESK_STATE = """async () => { const m = window.deskMedia(); if (!m) return 'no media';
  const out = [document.getElementById('media-problem').textContent, m.subscriptions,
    [...(m.displays || new Map()).entries()], m.shownFeed];
  for (const pc of [m.publisherPc, m.subscriberPc]) if (pc) out.push(pc.connectionState);
  out.push(await window.deskVideoIn()); return JSON.stringify(out); }"""


def desk_frames(page) -> tuple[str, int]:
    """(which subscription, frames it decoded) of the desk's received video."""
    key, frames = page.evaluate("() => window.deskVideoIn()")
    return key, frames


def desk_receives(page, before: tuple[str, int]) -> bool:
    key, frames = desk_frames(page)
    return frames > (before[1] if key == before[0] else 0) + 5


def test_a_5_s_blackout_through_turn_recovers(call_world, chromium, kiosk, pages):
    page = connected_call(call_world, chromium, kiosk, pages, "lang=en&relay=1")
    assert page.evaluate(SELECTED_PAIR) == "relay"  # the desk's media goes through coturn
    call_world.net.cut()
    time.sleep(5)
    call_world.net.restore()
    at_kiosk, at_desk = frames_flow(kiosk, page)
    print(
        f"after a 5 s blackout: media back at the kiosk in {at_kiosk:.2f} s, desk {at_desk:.2f} s"
    )
    assert kiosk.view.status == "active" and kiosk_sees(kiosk, "official-camera")
    end(page, kiosk)


def test_a_network_that_blocks_udp_calls_through_turn_over_tls(
    call_world, chromium, kiosk, pages, monkeypatch
):
    """aiortc takes one TURN server and sends only UDP itself: on a UDP-blocking network
    the kiosk finds that UDP gets no answer and relays through `turns:` (TLS over TCP);
    the desk (Chromium) relays over TURN's TCP."""
    # The test TURN server's certificate is self-signed; production's is a real one.
    monkeypatch.setenv("SSL_CERT_FILE", str(call_world.media.turn_certificate))
    call_world.net.block_udp()
    try:
        page = connected_call(call_world, chromium, kiosk, pages)
        first_turn = kiosk.session.peer.ice_servers[0]["urls"]
        assert first_turn.startswith("turns:"), first_turn
        assert page.evaluate(SELECTED_PAIR) == "relay"
        assert kiosk.view.media == "connected"
    finally:
        call_world.net.allow_udp()
    end(page, kiosk)


def test_an_outage_past_30_s_rebuilds_the_connections(call_world, chromium, kiosk, pages):
    page = connected_call(call_world, chromium, kiosk, pages)
    call_world.net.cut()
    cut_at = time.monotonic()
    # The citizen sees "reconnecting" while the link is down.
    seen = []
    assert wait_for(lambda: seen.append(kiosk.view.media) or seen[-1] == "reconnecting", 60), (
        sorted(set(seen))
    )
    assert wait_for(lambda: page.inner_text("#media-problem") != "", 30)
    assert "lost" in page.inner_text("#media-problem")
    # Past aiortc's consent timeout (about 30 s): its connections are dead for good.
    time.sleep(max(0.0, 35 - (time.monotonic() - cut_at)))
    call_world.net.restore()
    restored = time.monotonic()
    assert wait_for(lambda: kiosk.view.media == "connected", 30), kiosk.view
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 30)
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 30), page.evaluate(DESK_STATE)
    print(f"after the outage: both ways again {time.monotonic() - restored:.1f} s after the link")
    assert kiosk.view.status == "active"
    end(page, kiosk)


def test_the_official_closes_the_tab_and_resumes(call_world, chromium, kiosk, pages):
    page = connected_call(call_world, chromium, kiosk, pages)
    page.close()
    # The citizen is told (desk_gone_after_s=6 in these tests; told after half of it).
    assert wait_for(lambda: not kiosk.view.official_connected, 20), kiosk.view
    assert kiosk.view.status == "active"
    again = open_desk(chromium, call_world)
    pages.append(again)
    again.wait_for_selector("#resume:not([hidden])", timeout=10000)
    again.click("#resume")
    assert wait_for(lambda: kiosk.view.official_connected, 10)
    assert wait_for(lambda: desk_sees(again, "kiosk-camera"), 30)
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 30)
    end(again, kiosk)


def test_central_restarts_during_a_call(call_world, chromium, kiosk, pages):
    page = connected_call(call_world, chromium, kiosk, pages)
    port = call_world.central.base
    call_world.central.stop()
    # Media does not pass central: it goes on while central is down.
    frames_flow(kiosk, page)
    assert wait_for(lambda: kiosk.view.problem == "central_unreachable", 15)
    call_world.restart_central()
    assert call_world.central.base == port
    assert wait_for(lambda: kiosk.view.problem == "", 20), kiosk.view
    assert kiosk.view.status == "active"
    page.wait_for_function(
        "() => document.getElementById('notice').hidden", timeout=15000
    )  # the desk's polling is back too
    page.fill("#chat-text", "still here")
    page.click("#chat-form button")
    assert wait_for(lambda: [m.text for m in kiosk.view.messages][-1:] == ["still here"], 10)
    end(page, kiosk)
