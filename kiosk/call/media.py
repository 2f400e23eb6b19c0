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


class SwitchableTrack(MediaStreamTrack):
    """The microphone with a mute switch: muted, it sends silence (the track stays, so
    unmuting needs no new offer)."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self.muted = False

    async def recv(self) -> Any:
        frame = await self.source.recv()
        if self.muted:
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
        return frame

    def stop(self) -> None:
        self.source.stop()
        super().stop()


def open_microphone(spec: str) -> MediaStreamTrack | None:
    """The call's microphone from its config spec; None: none configured or it failed."""
    kind, _, rest = spec.partition(":")
    if kind == "alsa" and rest:
        source = microphone(rest, "alsa")
    elif kind == "file" and rest:
        try:
            source = audio_file(rest)
        except Exception as exc:  # noqa: BLE001 - a missing file is a missing microphone
            log.warning("microphone file %s cannot be opened: %s", rest, exc)
            source = None
    else:
        source = None
    return SwitchableTrack(source) if source is not None else None


class Speaker:
    """The official's voice to the kiosk's speaker through ALSA (PipeWire's, on a kiosk),
    with a volume the citizen sets. Without a device it only drains the frames."""

    def __init__(self, spec: str, volume: float = 0.8) -> None:
        self.volume = volume
        self._out: Any = None
        self._stream: Any = None
        kind, _, device = spec.partition(":")
        if kind != "alsa" or not device:
            return
        import av

        try:
            self._out = av.open(device, "w", format="alsa")
            self._stream = self._out.add_stream("pcm_s16le", rate=48000, layout="mono")
        except Exception as exc:  # noqa: BLE001 - no sound card: the call goes on with chat
            log.warning("speaker %s cannot be opened: %s", device, exc)
            self._out = None

    @property
    def available(self) -> bool:
        return self._out is not None

    def play(self, frame: Any) -> None:
        if self._out is None:
            return
        samples = frame.to_ndarray().astype(np.float32) * self.volume
        frame_out = frame.from_ndarray(
            np.clip(samples, -32768, 32767).astype(np.int16), format="s16", layout=frame.layout.name
        )
        frame_out.sample_rate = frame.sample_rate
        try:
            for packet in self._stream.encode(frame_out):
                self._out.mux(packet)
        except Exception as exc:  # noqa: BLE001 - a sound card that went away
            log.warning("speaker failed: %s", exc)
            self.close()

    def close(self) -> None:
        if self._out is not None:
            try:
                self._out.close()
            except Exception:  # noqa: BLE001, S110 - closing a failed device
                pass
            self._out = None
