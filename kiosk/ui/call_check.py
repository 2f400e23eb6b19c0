"""The check before a video call: is there a camera picture, a microphone, and a line to
central's video service, in words a citizen understands (off the main loop)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hardware.base import DeviceError, DeviceState

CAMERA_WAIT_S = 3.0


@dataclass
class PreCallCheck:
    video: bool = False
    audio: Any = None  # the opened microphone track, or None
    line: Any = None  # VideoAvailability, or None when central cannot be asked

    def may_call(self, booked: bool) -> bool:
        """Someone can answer now, or the citizen has a booked time."""
        return self.line is not None and (self.line.available or booked)

    def describe(self, t: Callable[[str], str], booked: bool) -> str:
        lines = [
            t("Camera: working.")
            if self.video
            else t(
                "Camera: not available. The official will not see you, but you can talk and write."
            )
            if self.audio
            else t("Camera: not available. The official will not see you."),
            t("Microphone: working.")
            if self.audio
            else t("Microphone: not available. You can write messages instead."),
            t("Connection: working.")
            if self.line is not None
            else t("Connection: no connection to the video service right now."),
        ]
        text = "\n".join(lines)
        if self.line is not None and not self.may_call(booked):
            text += "\n\n" + t("Nobody can take a video call for this service right now.")
        return text


def check(camera: Any, microphone: str, line: Any, service_id: str, language: str) -> PreCallCheck:
    """Runs the three checks (blocking: a camera takes up to CAMERA_WAIT_S to give a frame)."""
    from kiosk.call.media import open_microphone

    video = False
    if camera is not None:
        try:
            camera.start()
            deadline = time.monotonic() + CAMERA_WAIT_S
            while camera.latest_frame is None and time.monotonic() < deadline:
                time.sleep(0.05)
            video = camera.latest_frame is not None and camera.state != DeviceState.OFFLINE
        except DeviceError:
            video = False
    return PreCallCheck(video, open_microphone(microphone), line.availability(service_id, language))
