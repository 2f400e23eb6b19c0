"""The kiosk's media for a call: the camera it already has, and the microphone.

The camera is opened once by the hardware layer (hardware/camera); its
reader thread keeps the latest frame, which the QR decoder and this track
both read, so a call never opens the device a second time. aiortc's
MediaRelay then lets several consumers share this one track.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from aiortc import MediaStreamTrack, VideoStreamTrack
from av import VideoFrame

log = logging.getLogger("kiosk.call")

WIDTH, HEIGHT = 640, 480


class CameraTrack(VideoStreamTrack):
    """30 fps of the camera's latest frame at 640×480; black while there is none.

    `latest_frame` is a callable (the camera's property read through a lambda), so a
    camera replaced by hot-plug is followed without rebuilding the call.
    """

    def __init__(self, latest_frame: Callable[[], np.ndarray | None]) -> None:
        super().__init__()
        self.latest_frame = latest_frame
        self._black = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        # Drawn over each frame just before it is sent (tests and the bench mark frames).
        self.overlay: Callable[[np.ndarray], None] | None = None

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self.latest_frame()
        if frame is None:
            image = self._black.copy()
        elif frame.shape[1] != WIDTH or frame.shape[0] != HEIGHT:
            image = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        else:
            image = frame.copy()
        if self.overlay is not None:
            self.overlay(image)
        video = VideoFrame.from_ndarray(image, format="bgr24")
        video.pts, video.time_base = pts, time_base
        return video


def microphone(device: str, fmt: str = "alsa") -> MediaStreamTrack | None:
    """The microphone as an aiortc track, or None when it cannot be opened (the call then
    goes on without sound from the kiosk, and the citizen is told)."""
    from aiortc.contrib.media import MediaPlayer

    try:
        player: Any = MediaPlayer(device, format=fmt, options={"channels": "1"})
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds for a missing device
        log.warning("microphone %s cannot be opened: %s", device, exc)
        return None
    return player.audio


def audio_file(path: str) -> MediaStreamTrack | None:
    """Sound from a file, looped: the simulated microphone of tests and the demo."""
    from aiortc.contrib.media import MediaPlayer

    return MediaPlayer(path, loop=True).audio
