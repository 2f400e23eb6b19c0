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
    """30 fps of the camera's latest frame at 640×480 (or `size`, smaller on a poor
    link: kiosk/call/quality.py); black while there is none.

    `latest_frame` is a callable (the camera's property read through a lambda), so a
    camera replaced by hot-plug is followed without rebuilding the call.
    """

    def __init__(self, latest_frame: Callable[[], np.ndarray | None]) -> None:
        super().__init__()
        self.latest_frame = latest_frame
        self._black = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        # Drawn over each frame just before it is sent (tests and the bench mark frames).
        self.overlay: Callable[[np.ndarray], None] | None = None
        # The size frames go out at: 640×480 unless the link asks for less.
        self.size: tuple[int, int] = (WIDTH, HEIGHT)

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self.latest_frame()
        image: np.ndarray[Any, Any]
        if frame is None:
            image = self._black.copy()
        elif frame.shape[1] != WIDTH or frame.shape[0] != HEIGHT:
            image = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        else:
            image = frame.copy()
        if self.overlay is not None:
            self.overlay(image)
        if self.size != (WIDTH, HEIGHT):
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        # The encoder wants YUV 4:2:0; OpenCV converts in a fifth of the time that
        # libswscale takes inside aiortc (0.2 against 1.1 ms a frame, measured).
        yuv: Any = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)
        video = VideoFrame.from_ndarray(yuv, format="yuv420p")
        video.pts, video.time_base = pts, time_base
        return video


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
        frame: Any = await self.source.recv()
        if self.muted:
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
        return frame

    def stop(self) -> None:
        self.source.stop()
        super().stop()


def open_microphone(spec: str) -> SwitchableTrack | None:
    """The call's microphone from its config spec; None: none configured or it failed (the
    call then goes on without sound from the kiosk, and the citizen is told)."""
    from kiosk.call.pulse import PulseError, PulseMicrophone

    kind, _, rest = spec.partition(":")
    source: MediaStreamTrack | None = None
    try:
        if kind == "pulse":
            source = PulseMicrophone(rest)
        elif kind == "file" and rest:
            source = audio_file(rest)
    except (PulseError, OSError) as exc:
        log.warning("microphone %s cannot be opened: %s", spec, exc)
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds for a bad file
        log.warning("microphone %s cannot be opened: %s", spec, exc)
    return SwitchableTrack(source) if source is not None else None


class CallSpeaker:
    """The official's voice to the kiosk's speaker (a PipeWire sink through its PulseAudio
    server: `pulse:SINK`), at the volume the citizen sets. Without one ("none", or it
    failed) the frames are only drained and the citizen has the captions and chat."""

    # Senders heard at once (official, interpreter, a second expert): one stream each.
    MAX_SOURCES = 4

    def __init__(self, spec: str, volume: float = 0.8) -> None:
        from kiosk.call.pulse import PulseError, PulseSpeaker

        self.volume = volume
        self._outs: dict[str, PulseSpeaker] = {}
        kind, _, self._device = spec.partition(":")
        self._open = PulseSpeaker if kind == "pulse" else None
        if self._open is None:
            return
        try:
            self._outs[""] = self._open(self._device)
        except (PulseError, OSError) as exc:
            log.warning("speaker %s cannot be opened: %s", spec, exc)
            self._open = None

    @property
    def available(self) -> bool:
        return bool(self._outs)

    def play(self, frame: Any, source: str = "") -> None:
        """A frame of one sender's voice; each sender has a stream of its own, which the
        sound server mixes (frames of two voices in one stream would play one after the
        other, each at half speed)."""
        if self._open is None:
            return
        out = self._outs.get(source)
        if out is None:
            if "" in self._outs and not any(self._outs.keys() - {""}):
                out = self._outs.pop("")  # the first sender takes the stream opened first
            elif len(self._outs) < self.MAX_SOURCES:
                try:
                    out = self._open(self._device)
                except OSError as exc:
                    log.warning("speaker stream for %s cannot be opened: %s", source, exc)
                    return
            else:
                return
            self._outs[source] = out
        out.play(frame, self.volume)

    def close(self) -> None:
        for out in self._outs.values():
            out.close()
        self._outs = {}
