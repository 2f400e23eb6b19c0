"""A whole call on real components: the kiosk's aiortc (camera driver reading a video
file) and the official's desk page in headless Chromium, through Janus in a network
namespace. Media both ways is proven by decoding the QR code each side sends."""

from __future__ import annotations

import base64
import threading
from typing import Any

import cv2
import numpy as np
import pytest

from hardware.devices import build as build_devices
from kiosk.agent.client import CentralClient
from kiosk.call.media import CameraTrack
from kiosk.call.session import CallSession, CallView
from tests.calls.conftest import CallWorld, open_desk
from tests.calls.media_files import decode_qr, kiosk_video
from tests.waiting import wait_for

GRAB_REMOTE = """() => {
  const video = document.getElementById('remote');
  if (!video || video.videoWidth === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return canvas.toDataURL('image/png');
}"""


def browser_frame(page: Any) -> np.ndarray | None:
    data = page.evaluate(GRAB_REMOTE)
    if not data:
        return None
    raw = base64.b64decode(data.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)


def kiosk_sees(kiosk: Kiosk, text: str) -> bool:
    frame = kiosk.latest()
    return frame is not None and text in decode_qr(frame)


def desk_sees(page: Any, text: str) -> bool:
    frame = browser_frame(page)
    return frame is not None and text in decode_qr(frame)


class Kiosk:
    """The kiosk's side of a call as the UI runs it, without the UI: camera + CallSession."""

    def __init__(self, world: CallWorld, video_path) -> None:
        self.devices = build_devices({"camera": f"video:{video_path}"})
        self.camera = self.devices.all["camera"]
        self.camera.start()
        client = CentralClient(world.central.base, world.org.device_token, insecure=True)
        self.session = CallSession(
            client, CameraTrack(lambda: self.camera.latest_frame), None, poll_s=0.5
        )
        self.views: list[CallView] = []
        self.frames: list[np.ndarray] = []
        self.lock = threading.Lock()
        self.session.when_update = self.views.append
        self.session.when_remote_frame = self._frame

    def _frame(self, frame: np.ndarray) -> None:
        with self.lock:
            self.frames = [frame]  # keep only the latest: a call must not grow memory

    def latest(self) -> np.ndarray | None:
        with self.lock:
            return self.frames[0] if self.frames else None

    @property
    def view(self) -> CallView:
        return self.session.view

    def close(self) -> None:
        self.session.close()
        self.camera.stop()


@pytest.fixture
def kiosk(call_world, tmp_path):
    running = Kiosk(call_world, kiosk_video(tmp_path / "kiosk.avi"))
    yield running
    running.close()


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

    # Chat both ways.
    page.fill("#chat-text", "Hello from the desk")
    page.click("#chat-form button")
    assert wait_for(lambda: [m.text for m in kiosk.view.messages] == ["Hello from the desk"], 5)
    kiosk.session.send_message("Hi, I can hear you")
    page.wait_for_function(
        "() => document.getElementById('chat').innerText.includes('Hi, I can hear you')",
        timeout=5000,
    )

    # The official shows a PDF; the kiosk has its bytes.
    from devtools.sample_document import sample_pdf

    pdf = tmp_path / "Hakemus.pdf"
    pdf.write_bytes(sample_pdf())
    page.set_input_files("#document-file", str(pdf))
    page.click("#document-form button")
    assert wait_for(lambda: len(kiosk.view.documents) == 1, 5)
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
    assert wait_for(lambda: kiosk.view.status == "ended", 5)
    assert kiosk.view.outcome == "completed"
    page.close()
