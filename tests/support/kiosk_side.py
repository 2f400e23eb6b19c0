"""The kiosk's side of a call as the UI runs it, without the UI (camera driver + CallSession),
and looking at what each side receives."""

from __future__ import annotations

import base64
import collections
import threading
import time
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from hardware.devices import build as build_devices
from kiosk.agent.client import CentralClient
from kiosk.call.media import CameraTrack
from kiosk.call.session import CallSession, CallView
from tests.support.media_files import decode_qr

if TYPE_CHECKING:
    from tests.calls.conftest import CallWorld

GRAB_REMOTE = """(selector) => {
  const video = document.querySelector(selector || '#remote');
  if (!video || video.videoWidth === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return canvas.toDataURL('image/png');
}"""


def browser_frame(page: Any, selector: str = "#remote") -> np.ndarray | None:
    """The video the desk shows (the citizen's, or another `selector`), from a Playwright
    page or a devtools.firefox.Firefox."""
    data = page.evaluate(GRAB_REMOTE, selector)
    if not data:
        return None
    raw = base64.b64decode(data.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)


def kiosk_sees(kiosk: Kiosk, text: str) -> bool:
    frame = kiosk.latest()
    return frame is not None and text in decode_qr(frame)


def desk_sees(page: Any, text: str, selector: str = "#remote") -> bool:
    frame = browser_frame(page, selector)
    return frame is not None and text in decode_qr(frame)


class Kiosk:
    """The kiosk's side of a call as the UI runs it, without the UI: camera + CallSession."""

    def __init__(self, world: CallWorld, video_path, device_token: str = "") -> None:
        """`device_token`: another kiosk's of the world (default: the world's kiosk)."""
        self.devices = build_devices({"camera": f"video:{video_path}"})
        self.camera = self.devices.all["camera"]
        self.camera.start()
        token = device_token or world.org.device_token
        client = CentralClient(world.central.base, token, insecure=True)
        self.session = CallSession(
            client, CameraTrack(lambda: self.camera.latest_frame), None, poll_s=0.5
        )
        self.views: list[CallView] = []
        self.frames: list[np.ndarray] = []
        self.received = 0
        # When each frame came (bounded): frame rate and freezes on a poor link.
        self.arrivals: collections.deque[float] = collections.deque(maxlen=3000)
        self.lock = threading.Lock()
        self.session.when_update = self.views.append
        self.session.when_remote_frame = self._frame
        self.others: dict[str, np.ndarray] = {}
        self.session.when_other_frame = self._other

    def _frame(self, frame: np.ndarray) -> None:
        with self.lock:
            self.frames = [frame]  # keep only the latest: a call must not grow memory
            self.received += 1
            self.arrivals.append(time.monotonic())

    def _other(self, source: str, frame: np.ndarray) -> None:
        with self.lock:
            self.others[source] = frame

    def sees_other(self, text: str) -> str | None:
        """Which other party's video (their display) shows the QR code `text`."""
        with self.lock:
            others = dict(self.others)
        return next((who for who, frame in others.items() if text in decode_qr(frame)), None)

    def latest(self) -> np.ndarray | None:
        with self.lock:
            return self.frames[0] if self.frames else None

    @property
    def view(self) -> CallView:
        return self.session.view

    def close(self) -> None:
        self.session.close()
        self.camera.stop()
