"""Real-time text (EN 301 549 6.2) on real components: T.140 characters over a WebRTC data
channel through Janus, between the official's desk in Chromium and the kiosk's aiortc,
each character shown on the other side as it is typed, erasing included."""

from __future__ import annotations

import time

import pytest

from devtools.waiting import wait_for
from kiosk.call.live_text import BACKSPACE, LiveLine
from tests.calls.conftest import open_desk
from tests.support.kiosk_side import kiosk_sees

pytestmark = pytest.mark.slow


def test_text_goes_both_ways_as_it_is_typed(call_world, chromium, kiosk):
    arrived: list[tuple[str, str, float]] = []
    kiosk.session.when_live_text = lambda who, text: arrived.append((who, text, time.time()))
    page = open_desk(chromium, call_world)
    try:
        page.click("#set-available")
        kiosk.session.start(call_world.service, "fi")
        page.wait_for_selector("#queue li button", timeout=10000)
        page.click("#queue li button")
        assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 30), kiosk.view
        assert wait_for(
            lambda: page.evaluate("() => window.deskMedia().liveText.readyState") == "open", 10
        )
        # Janus relays data to the kiosk only once the kiosk's side of the subscription
        # has opened its channel, which can come after the desk's own is open.
        assert wait_for(lambda: kiosk.session.peer.live_text_open("official"), 10)

        # The official types: every character reaches the kiosk on its own.
        delays = []
        for char in "Heii":
            typed_at = time.time()
            before = len(arrived)
            page.type("#chat-text", char)
            assert wait_for(lambda before=before: len(arrived) > before, 5), "no text at kiosk"
            delays.append(arrived[-1][2] - typed_at)
        page.press("#chat-text", "Backspace")
        assert wait_for(lambda: arrived[-1][1] == BACKSPACE, 5)
        line = LiveLine()
        for who, text, _at in arrived:
            assert who == "official"
            line.apply(text)
        assert line.current == "Hei"

        # The citizen types: the desk shows it as it comes.
        back = []
        for char in "moi":
            sent_at = time.time()
            kiosk.session.send_live_text(char)
            page.wait_for_function(
                "(n) => (document.getElementById('live-text').textContent.split(': ')[1] || '')"
                ".length === n",
                arg=len(back) + 1,
                timeout=5000,
            )
            back.append(page.evaluate("() => window.liveTextAt") / 1000 - sent_at)
        assert page.inner_text("#live-text") == "Citizen is writing: moi"
        print(
            f"real-time text, desk → kiosk: {[round(d * 1000) for d in delays]} ms; "
            f"kiosk → desk: {max(back) * 1000:.0f} ms at most"
        )
        page.click("#end")
        assert wait_for(lambda: kiosk.view.status == "ended", 20)
    finally:
        page.close()
