"""A whole call on real components: the kiosk's aiortc (camera driver reading a video
file) and the official's desk page in headless Chromium, through Janus in a network
namespace. Media both ways is proven by decoding the QR code each side sends."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devtools.waiting import wait_for
from tests.calls.conftest import open_desk
from tests.support.kiosk_side import desk_sees, kiosk_sees

pytestmark = pytest.mark.slow


def test_a_call_with_media_chat_and_documents_both_ways(call_world, chromium, kiosk, tmp_path):
    page = open_desk(chromium, call_world)
    page.click("#set-available")
    assert wait_for(lambda: page.inner_text("#presence") == "Available", 10)

    kiosk.session.start(call_world.service, "fi")
    assert wait_for(lambda: kiosk.view.status == "queued", 10)
    assert kiosk.view.position == 1
    # The official sees the citizen arrive within one poll (2 s).
    page.wait_for_selector("#queue li button", timeout=5000)
    page.click("#queue li button")

    # Media flows both ways: each side decodes the other's QR code.
    assert wait_for(lambda: kiosk.view.status == "active", 10)
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 20), "no desk video at kiosk"
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 20), "no kiosk video at the desk"
    frame = kiosk.latest()
    assert frame.shape[:2] == (480, 640)
    assert kiosk.view.media == "connected" and kiosk.view.official_connected
    # UDP answers here, so aiortc's one TURN server is the UDP one (not TLS, see the
    # UDP-blocking test in test_call_faults.py).
    assert kiosk.session.peer.ice_servers[0]["urls"].endswith("?transport=udp")

    # Chat both ways.
    page.fill("#chat-text", "Hello from the desk")
    page.click("#chat-form button")
    assert wait_for(lambda: [m.text for m in kiosk.view.messages] == ["Hello from the desk"], 20)
    kiosk.session.send_message("Hi, I can hear you")
    page.wait_for_function(
        "() => document.getElementById('chat').innerText.includes('Hi, I can hear you')",
        timeout=20000,
    )

    # The official shows a PDF; the kiosk has its bytes.
    from devtools.sample_document import sample_pdf

    pdf = tmp_path / "Hakemus.pdf"
    pdf.write_bytes(sample_pdf())
    page.set_input_files("#document-file", str(pdf))
    page.click("#document-form button")
    assert wait_for(lambda: len(kiosk.view.documents) == 1, 20)
    shown = kiosk.view.documents[0]
    assert shown.name == "Hakemus.pdf"
    assert kiosk.session.document(shown.id) == pdf.read_bytes()

    # The citizen scans a page; the official downloads it from the page.
    page_png = cv2.imencode(".png", np.full((100, 80, 3), 220, np.uint8))[1].tobytes()
    kiosk.session.send_scan(page_png, "image/png", "page-1.png")
    link = page.wait_for_selector("#documents a", timeout=5000)
    with page.expect_download() as download:
        link.click()
    assert open(download.value.path(), "rb").read() == page_png

    # The official ends the call; the kiosk is told.
    page.click("#end")
    assert wait_for(lambda: kiosk.view.status == "ended", 20)
    assert kiosk.view.outcome == "completed"
    page.close()
