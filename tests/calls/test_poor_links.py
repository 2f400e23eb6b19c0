"""A call on a poor link, made by the link relay the test controls (devtools/link_relay.py):
every participant reaches coturn only through it, and it drops, delays and limits the
kiosk's traffic both ways (5 % loss; 1 Mbit/s). The kiosk notices, says so to the
citizen and to central, and sends a smaller picture at the same frame rate; the
official's desk shows it and caps what it sends. Video keeps coming both ways and stays
readable (the QR codes drawn into each side's frames decode at the other). The desk
on the lossy link: test-artifacts/ui/desk-poor-link.png.

Frame rates and the longest gap are printed here and measured against their targets in
bench/call.py, not asserted: tests do not assert wall-clock times.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devtools.browser import DESK_FRAME_COUNTER
from devtools.ui_driver import SCREENSHOTS
from devtools.waiting import wait_for
from tests.calls.conftest import CallWorld, built_call_world, connected_call, end
from tests.support.kiosk_side import desk_sees, kiosk_sees

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def call_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallWorld]:
    with built_call_world(tmp_path_factory.mktemp("poor-link"), poor_link=True) as world:
        yield world


def rate_and_gap(arrivals: list[float], since: float) -> tuple[float, float]:
    """Frames a second and the longest gap (s) among arrivals after `since`."""
    window = [t for t in arrivals if t >= since]
    if len(window) < 2:
        return 0.0, float("inf")
    gaps = [b - a for a, b in zip(window, window[1:], strict=False)]
    return (len(window) - 1) / (window[-1] - window[0]), max(gaps)


def frames_flow(kiosk, page, seconds: float) -> dict[str, float]:
    """Watch both ways for `seconds`: what arrived at the kiosk and at the desk."""
    kiosk_from, desk_from = time.monotonic(), page.evaluate("performance.now() / 1000")
    kiosk_before, desk_before = kiosk.received, len(page.evaluate("() => window.__arrivals"))
    time.sleep(seconds)
    with kiosk.lock:
        kiosk_arrivals = list(kiosk.arrivals)
        kiosk_size = kiosk.frames[0].shape[1::-1] if kiosk.frames else (0, 0)
    desk_arrivals = page.evaluate("() => window.__arrivals")
    kiosk_fps, kiosk_gap = rate_and_gap(kiosk_arrivals, kiosk_from)
    desk_fps, desk_gap = rate_and_gap(desk_arrivals, desk_from)
    return {
        "kiosk_frames": kiosk.received - kiosk_before,
        "desk_frames": len(desk_arrivals) - desk_before,
        "kiosk_fps": kiosk_fps,
        "kiosk_gap": kiosk_gap,
        "kiosk_size": kiosk_size,
        "desk_fps": desk_fps,
        "desk_gap": desk_gap,
        "desk_size": tuple(page.evaluate("() => window.__size")),
    }


def report(what: str, flow: dict[str, float], link) -> None:
    counts = link.counts()
    print(
        f"{what}: kiosk receives {flow['kiosk_fps']:.1f} fps at {flow['kiosk_size']}, "
        f"longest gap {flow['kiosk_gap']:.2f} s; desk receives {flow['desk_fps']:.1f} fps at "
        f"{flow['desk_size']}, longest gap {flow['desk_gap']:.2f} s; relay {counts}"
    )


def test_video_holds_up_on_a_lossy_and_a_narrow_link(call_world, chromium, kiosk, pages):
    link = call_world.link
    page = connected_call(call_world, chromium, kiosk, pages)
    page.evaluate(DESK_FRAME_COUNTER)
    # Media goes through the relay, and the kiosk's traffic is known as the kiosk's.
    assert wait_for(lambda: link.counts().get("up", {}).get("passed", 0) > 100, 10)
    assert kiosk.view.link == "good"
    report("good link", frames_flow(kiosk, page, 5), link)

    # 5 % of the kiosk's packets lost each way, 20 ms one way.
    link.set(loss=0.05, delay_ms=20)
    # The kiosk notices within seconds and sends a smaller picture.
    assert wait_for(lambda: kiosk.view.link != "good", 20), kiosk.view.link
    assert wait_for(lambda: kiosk.session.video.size[0] < 640, 5)
    # The citizen and the official see it.
    assert wait_for(lambda: page.get_attribute("#link-quality", "data-level") != "good", 15), (
        page.inner_text("#link-quality")
    )
    assert page.inner_text("#link-quality").startswith("Connection:")
    page.screenshot(path=str(SCREENSHOTS / "desk-poor-link.png"))
    # The desk gets the smaller picture, and both keep seeing each other.
    assert wait_for(lambda: 0 < page.evaluate("() => window.__size[0]") < 640, 15)
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 15)
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 15)
    lossy = frames_flow(kiosk, page, 15)
    report("5 % loss", lossy, link)
    assert lossy["kiosk_frames"] > 0 and lossy["desk_frames"] > 0
    lost = link.counts()
    assert lost["up"]["lost"] > 0 and lost["down"]["lost"] > 0

    # 1 Mbit/s each way, 30 ms one way, a 200 ms queue: the desk keeps under it.
    link.set(rate_kbit=1000, delay_ms=30, queue_ms=200)
    time.sleep(5)
    narrow = frames_flow(kiosk, page, 15)
    report("1 Mbit/s", narrow, link)
    assert narrow["kiosk_frames"] > 0 and narrow["desk_frames"] > 0
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 15)
    sending = page.evaluate(
        """async () => { const m = window.deskMedia(); const s = m.publisherPc.getSenders()
             .find((x) => x.track && x.track.kind === 'video');
           const p = s.getParameters();
           return [p.encodings[0].maxBitrate, p.degradationPreference]; }"""
    )
    assert sending[0] <= 800000 and sending[1] == "maintain-framerate"

    # A good link again: in time the kiosk goes back up to 640×480.
    link.set()
    assert wait_for(lambda: kiosk.view.link == "good", 40), kiosk.view.link
    assert wait_for(lambda: kiosk.session.video.size == (640, 480), 5)
    assert kiosk.view.status == "active"
    end(page, kiosk)
