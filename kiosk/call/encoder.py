"""aiortc's VP8 encoder at the speed libwebrtc picks for a small ARM board.

aiortc opens libvpx with `cpu-used -6`, libwebrtc's setting for desktop
processors. On ARM boards with four cores libwebrtc encodes 640×480 at -10 (the
further from zero, the less search per frame): the kiosk's encoder is the largest
part of its call CPU, and a Raspberry Pi has no spare core for it. Measured here
(bench/vp8_speed.py, 640×480 at the same bitrate): 5 % less CPU on a camera-like
scene, 27 % less on noise, PSNR the same to 0.01 dB.

Everything else is aiortc's encoder as it is; installed once by importing
kiosk.call.room (`install()`), for VP8 only.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import aiortc.rtcrtpsender
import av
from aiortc.codecs import get_encoder
from aiortc.codecs.vpx import Vp8Encoder, number_of_threads

# libwebrtc's LibvpxVp8Encoder::GetCpuSpeed on ARM with ≥ 4 cores, for ≤ 640×480;
# -12 above that or with fewer cores.
KIOSK_CPU_USED = -10


def vp8_options(bit_rate: int, cpu_used: int) -> dict[str, str]:
    """aiortc's libvpx options (realtime, CBR, no lag) with our speed and keyframe cap."""
    return {
        "bufsize": str(bit_rate),
        "cpu-used": str(cpu_used),
        "deadline": "realtime",
        "lag-in-frames": "0",
        # A keyframe at most 4.5 average frames, as libwebrtc sets it (MaxIntraTarget for a
        # 300 ms buffer at 30 fps): a whole-picture burst no longer overflows a narrow
        # line's queue, which lost the keyframe and froze the picture for seconds.
        "max-intra-rate": "450",
        "minrate": str(bit_rate),
        "maxrate": str(bit_rate),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
    }


class KioskVp8Encoder(Vp8Encoder):
    """aiortc's Vp8Encoder with `cpu_used` (libvpx's speed) chosen by the kiosk, and a
    bitrate cap the kiosk's link sets (`max_bitrate`, kiosk/call/quality.py) on top of
    what the media server's REMB allows."""

    # One camera, one sender: the cap is the kiosk's, for every encoder it has.
    max_bitrate: int = 800_000

    def __init__(self, cpu_used: int = KIOSK_CPU_USED) -> None:
        super().__init__()
        self.cpu_used = cpu_used

    @property
    def target_bitrate(self) -> int:
        return min(super().target_bitrate, KioskVp8Encoder.max_bitrate)

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        Vp8Encoder.target_bitrate.fset(self, bitrate)  # type: ignore[attr-defined]

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        # Opened here, with our options, exactly when aiortc would open its own: the
        # parent then finds a codec of the frame's size and bitrate and keeps it.
        if self.codec is None or self._stale(frame):
            self.codec = self._open(frame)
        return super().encode(frame, force_keyframe)

    def _stale(self, frame: Any) -> bool:
        codec = self.codec
        if codec is None or not codec.bit_rate:
            return True
        return bool(
            frame.width != codec.width
            or frame.height != codec.height
            or abs(self.target_bitrate - codec.bit_rate) / codec.bit_rate > 0.1
        )

    def _open(self, frame: Any) -> Any:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width = frame.width
        codec.height = frame.height
        codec.bit_rate = self.target_bitrate
        codec.pix_fmt = "yuv420p"
        codec.gop_size = 3000
        codec.qmin = 2
        codec.qmax = 56
        codec.options = vp8_options(self.target_bitrate, self.cpu_used)
        codec.thread_count = number_of_threads(
            frame.width * frame.height, multiprocessing.cpu_count()
        )
        return codec


def kiosk_encoder(codec: Any) -> Any:
    """aiortc's get_encoder, with ours for VP8."""
    if codec.mimeType.lower() == "video/vp8":
        return KioskVp8Encoder()
    return get_encoder(codec)


def install() -> None:
    aiortc.rtcrtpsender.get_encoder = kiosk_encoder
