"""The call's microphone and speaker through PipeWire's PulseAudio server.

PipeWire (with `pipewire-pulse`) is the kiosk's sound server; its echo-cancel module
gives a source whose sound has the speaker's far end removed, which aiortc cannot do
itself. We speak the PulseAudio protocol through libpulse-simple (libpulse0, present
on any Debian desktop stack) with ctypes: no extra Python package on the device, and
blocking reads and writes that belong on their own thread anyway.

A stream is mono signed 16-bit at 48 kHz in 20 ms pieces: what Opus and aiortc use,
so nothing is resampled on the way in.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import fractions
import logging
import queue
import shutil
import subprocess
import threading
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack
from av import AudioFrame, AudioResampler

log = logging.getLogger("kiosk.call")

RATE = 48000
PIECE = RATE // 50  # 20 ms of samples
PIECE_BYTES = PIECE * 2
_PLAYBACK, _RECORD = 1, 2
_S16LE = 3
# Frames waiting for the speaker: 10 × 20 ms. More would only add delay to the voice,
# so a speaker that falls behind drops the oldest sound instead of growing.
SPEAKER_BACKLOG = 10
# Pieces waiting for aiortc: a stalled call must not collect the microphone forever.
MICROPHONE_BACKLOG = 25


class _SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class _BufferAttr(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint32) for name in ("maxlength", "tlength", "prebuf", "minreq", "fragsize")
    ]


class PulseError(OSError):
    """A sound device that cannot be opened or went away, with libpulse's own words."""


def _library() -> tuple[Any, Any]:
    simple = ctypes.CDLL(ctypes.util.find_library("pulse-simple") or "libpulse-simple.so.0")
    pulse = ctypes.CDLL(ctypes.util.find_library("pulse") or "libpulse.so.0")
    simple.pa_simple_new.restype = ctypes.c_void_p
    simple.pa_simple_new.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.POINTER(_SampleSpec), ctypes.c_void_p, ctypes.POINTER(_BufferAttr),
        ctypes.POINTER(ctypes.c_int),
    ]  # fmt: skip
    for name in ("pa_simple_read", "pa_simple_write"):
        function = getattr(simple, name)
        function.restype = ctypes.c_int
        function.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_int),
        ]
    simple.pa_simple_free.argtypes = [ctypes.c_void_p]
    pulse.pa_strerror.restype = ctypes.c_char_p
    pulse.pa_strerror.argtypes = [ctypes.c_int]
    return simple, pulse


def device_names(record: bool) -> set[str] | None:
    """The sources (or sinks) the sound server has now; None if `pactl` is missing.

    Needed because PipeWire's PulseAudio server, asked for a device it does not have,
    quietly gives the default one: a kiosk would then send the raw microphone, echo
    and all, instead of saying that its echo-cancelling source is missing.
    """
    if shutil.which("pactl") is None:
        return None
    try:
        listing = subprocess.run(
            ["pactl", "list", "short", "sources" if record else "sinks"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        raise PulseError(f"the sound server does not answer: {exc}") from exc
    return {line.split("\t")[1] for line in listing.splitlines() if "\t" in line}


class PulseStream:
    """One open record or playback stream on a named device ("" = the default)."""

    def __init__(self, device: str, *, record: bool, name: str) -> None:
        self._simple, self._pulse = _library()
        if device:
            names = device_names(record)
            if names is not None and device not in names:
                raise PulseError(f"{device}: no such {'source' if record else 'sink'}")
        spec = _SampleSpec(_S16LE, RATE, 1)
        unset = 0xFFFFFFFF
        # Small buffers: 40 ms ahead for the speaker, 20 ms pieces from the microphone,
        # so the sound server does not add its default 2 s of latency.
        if record:
            attr = _BufferAttr(unset, unset, unset, unset, PIECE_BYTES)
        else:
            attr = _BufferAttr(unset, 2 * PIECE_BYTES, unset, unset, unset)
        error = ctypes.c_int(0)
        handle = self._simple.pa_simple_new(
            None, b"Palvelupiste", _RECORD if record else _PLAYBACK,
            device.encode() or None, name.encode(), ctypes.byref(spec), None,
            ctypes.byref(attr), ctypes.byref(error),
        )  # fmt: skip
        if not handle:
            raise PulseError(f"{device or 'default device'}: {self._reason(error)}")
        self._handle: int | None = handle
        self.device = device

    def _reason(self, error: ctypes.c_int) -> str:
        return (self._pulse.pa_strerror(error.value) or b"unknown error").decode()

    def read(self) -> bytes:
        """20 ms of sound; blocks until it has been captured."""
        data = ctypes.create_string_buffer(PIECE_BYTES)
        error = ctypes.c_int(0)
        if self._handle is None or self._simple.pa_simple_read(
            self._handle, data, PIECE_BYTES, ctypes.byref(error)
        ):
            raise PulseError(f"{self.device}: {self._reason(error)}")
        return data.raw

    def write(self, data: bytes) -> None:
        """Queue sound for playing; blocks while the server's buffer is full (pacing)."""
        error = ctypes.c_int(0)
        if self._handle is None or self._simple.pa_simple_write(
            self._handle, data, len(data), ctypes.byref(error)
        ):
            raise PulseError(f"{self.device}: {self._reason(error)}")

    def close(self) -> None:
        if self._handle is not None:
            self._simple.pa_simple_free(self._handle)
            self._handle = None


class PulseMicrophone(MediaStreamTrack):
    """The microphone as an aiortc audio track: a thread reads 20 ms pieces, recv() hands
    them over. Opening checks the device (the pre-call check's "Microphone: working");
    reading starts with the first recv(), so a check that ends in no call records nothing.
    """

    kind = "audio"

    def __init__(self, device: str) -> None:
        super().__init__()
        self._stream = PulseStream(device, record=True, name="Call microphone")
        self._pieces: asyncio.Queue[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: threading.Thread | None = None
        self._stopping = threading.Event()
        self._pts = 0

    def _read_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                piece = self._stream.read()
            except PulseError as exc:
                log.warning("microphone stopped: %s", exc)
                break
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._hand_over, piece)
        self._stream.close()

    def _hand_over(self, piece: bytes) -> None:
        assert self._pieces is not None
        if self._pieces.full():
            self._pieces.get_nowait()
        self._pieces.put_nowait(piece)

    async def recv(self) -> AudioFrame:
        if self._reader is None:
            self._loop = asyncio.get_running_loop()
            self._pieces = asyncio.Queue(MICROPHONE_BACKLOG)
            self._reader = threading.Thread(target=self._read_forever, daemon=True)
            self._reader.start()
        assert self._pieces is not None
        piece = await self._pieces.get()
        frame = AudioFrame(format="s16", layout="mono", samples=PIECE)
        frame.planes[0].update(piece)
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += PIECE
        return frame

    def stop(self) -> None:
        self._stopping.set()
        if self._reader is None:
            self._stream.close()
        super().stop()


class PulseSpeaker:
    """The official's voice to a sound server sink at the citizen's volume.

    play() is called on the call's event loop for each decoded frame; it never blocks:
    a writer thread feeds the server, which paces it. A backlog beyond 200 ms drops the
    oldest sound (a late voice is worse than a skipped syllable).
    """

    def __init__(self, device: str) -> None:
        self._stream = PulseStream(device, record=False, name="Call speaker")
        self._resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        self._backlog: queue.Queue[bytes | None] = queue.Queue(SPEAKER_BACKLOG)
        self._writer = threading.Thread(target=self._write_forever, daemon=True)
        self._writer.start()

    def _write_forever(self) -> None:
        while (data := self._backlog.get()) is not None:
            try:
                self._stream.write(data)
            except PulseError as exc:
                log.warning("speaker stopped: %s", exc)
                break
        self._stream.close()

    def play(self, frame: Any, volume: float) -> None:
        for mono in self._resampler.resample(frame):
            samples = mono.to_ndarray().astype(np.float32) * volume
            data = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
            try:
                self._backlog.put_nowait(data)
            except queue.Full:
                try:
                    self._backlog.get_nowait()
                except queue.Empty:
                    pass
                self._backlog.put_nowait(data)

    def close(self) -> None:
        try:
            self._backlog.put_nowait(None)
        except queue.Full:
            self._backlog.get_nowait()
            self._backlog.put_nowait(None)
        self._writer.join(timeout=2)
