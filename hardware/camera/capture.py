"""A camera as one Device: frames in a background thread, QR decoding off the UI thread,
and a freshness watchdog.

OpenCV's read() can keep "succeeding" with the last frame after a camera is
unplugged, so a camera is judged by its frames: no new frame, or the same
picture over and over, for `stale_after_s` means offline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import zxingcpp

from hardware.base import Device, DeviceOffline, DeviceState, SelfTestReport

# How often a frame's fingerprint is taken, to judge the camera alive (stale_after_s).
FINGERPRINT_EVERY_S = 0.25

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _fingerprint(frame: np.ndarray) -> bytes:
    small = cv2.resize(frame, (16, 12), interpolation=cv2.INTER_AREA)
    return (small // 8).tobytes()  # coarse: sensor noise changes it, a frozen frame does not


class Camera(Device):
    kind = "camera"

    def __init__(
        self,
        name: str,
        source: int | str,
        stale_after_s: float = 3.0,
        decode_every_s: float = 0.2,
        open_camera: Callable[[int | str], Any] = cv2.VideoCapture,  # type: ignore[assignment]
        frame_interval_s: float = 0.0,
        loop: bool = False,
    ) -> None:
        super().__init__(name)
        self.source = source
        self.stale_after_s = stale_after_s
        self.decode_every_s = decode_every_s
        self.frame_interval_s = frame_interval_s
        # A video file standing in for a camera (tests, the demo) starts over at its end.
        self.loop = loop
        self.when_qr_decoded: Callable[[str], None] | None = None
        self._open = open_camera
        self._latest: np.ndarray | None = None
        self._fresh_at = 0.0
        self._fingerprint = b""
        self._fingerprint_at = 0.0
        self._last_qr: tuple[str, float] = ("", 0.0)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unplugged = False

    @property
    def latest_frame(self) -> np.ndarray | None:
        return self._latest

    def start(self) -> None:
        capture = self._open(self.source)
        if capture is None or not capture.isOpened():
            self._update(DeviceState.OFFLINE, reason="the camera cannot be opened")
            raise DeviceOffline(f"camera {self.name} cannot be opened")
        self._stop.clear()
        self._fresh_at = time.monotonic()
        self._update(DeviceState.ONLINE, reason="")
        threads = [
            threading.Thread(target=self._read_frames, args=(capture,), daemon=True),
            threading.Thread(target=self._decode_qr, daemon=True),
        ]
        for thread in threads:
            thread.start()
        # Published only once running: `stop` may come from another thread meanwhile.
        self._threads = threads

    def probe(self) -> DeviceState:
        """Is the camera there? Opens and closes it without streaming (for health reports
        while nobody is using it); a running camera is judged by its frames instead."""
        if self._threads:
            return self.state
        capture = self._open(self.source)
        try:
            there = capture is not None and capture.isOpened()
        finally:
            if capture is not None:
                capture.release()
        if there:
            self._update(DeviceState.ONLINE, reason="")
        else:
            self._update(DeviceState.OFFLINE, reason="the camera cannot be opened")
        return self.state

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # started (see `start`)
                thread.join(5)
        self._threads = []
        self._latest = None  # nothing of the citizen stays in memory

    def _read_frames(self, capture: Any) -> None:
        try:
            while not self._stop.is_set():
                ok, frame = capture.read()
                if not ok and self.loop:
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, frame = capture.read()
                now = time.monotonic()
                if ok and frame is not None:
                    # A few looks a second tell a frozen camera from a live one; every
                    # frame's would cost a call a few per cent of a core for nothing.
                    if now - self._fingerprint_at >= FINGERPRINT_EVERY_S:
                        self._fingerprint_at = now
                        fingerprint = _fingerprint(frame)
                        if fingerprint != self._fingerprint:
                            self._fingerprint = fingerprint
                            self._fresh_at = now
                    if not self._unplugged:
                        self._latest = frame
                self._watch(now)
                if not ok:
                    self._stop.wait(0.05)
                elif self.frame_interval_s:
                    self._stop.wait(self.frame_interval_s)
        finally:
            capture.release()

    def _watch(self, now: float) -> None:
        stale = now - self._fresh_at > self.stale_after_s
        if stale and self.state != DeviceState.OFFLINE:
            self._update(DeviceState.OFFLINE, reason="no new frames from the camera")
        elif not stale and self.state == DeviceState.OFFLINE and not self._unplugged:
            self._update(DeviceState.ONLINE, reason="")

    def unplugged(self) -> None:
        """Frames may keep "arriving" from a pulled camera: udev's word wins until it is back."""
        self._unplugged = True
        self._latest = None
        super().unplugged()

    def plugged_in(self) -> None:
        self._unplugged = False
        self._fresh_at = time.monotonic()  # judged by fresh frames from here on
        super().plugged_in()

    def _decode_qr(self) -> None:
        while not self._stop.wait(self.decode_every_s):
            frame = self._latest
            # No one listening (a video call, the idle screen): no decoding, no CPU.
            if frame is None or self.state == DeviceState.OFFLINE or self.when_qr_decoded is None:
                continue
            for result in zxingcpp.read_barcodes(frame, formats=QR_ONLY):
                text, now = result.text, time.monotonic()
                last_text, last_at = self._last_qr
                if text and (text != last_text or now - last_at > 3.0):
                    self._last_qr = (text, now)
                    if self.when_qr_decoded is not None:
                        self.when_qr_decoded(text)

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        started_here = not self._threads
        try:
            if started_here:
                self.start()
            deadline = time.monotonic() + 5
            while self._latest is None and time.monotonic() < deadline:
                time.sleep(0.05)
            report.check("delivers frames", self._latest is not None)
            report.check("frames are fresh", self.state == DeviceState.ONLINE, self.state.value)
        except DeviceOffline as exc:
            report.check("opens", False, str(exc))
        finally:
            if started_here:
                self.stop()
        return report
