"""aiortc's video jitter buffer, taught to jump to a keyframe.

aiortc assembles a frame only from an unbroken run of packets starting at its
buffer's origin. A packet that never comes (lost while a link was down, and too old
for the media server to resend) blocks every later frame until 512 more packets
have arrived: at the 30–60 packets a second of a 640×480 call, 10–15 s of frozen
picture after a 5 s blackout, and the keyframe the kiosk asked for sits behind the
hole unused. A decoder that starts over from a keyframe needs nothing older, so
when the start of a VP8 keyframe arrives everything before it is dropped, as
libwebrtc's own frame buffer does.

Installed once by importing kiosk.call.room (`install()`): it replaces the class
aiortc's RTCRtpReceiver builds its buffers from; audio buffers are unaffected.
"""

from __future__ import annotations

from typing import Any

import aiortc.rtcrtpreceiver
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.utils import uint16_add


def starts_vp8_keyframe(payload: bytes) -> bool:
    """Is this RTP payload the first packet of a VP8 keyframe (RFC 7741)?"""
    try:
        descriptor, data = VpxPayloadDescriptor.parse(payload)
    except ValueError:
        return False
    # P bit of the VP8 frame header: 0 is a keyframe.
    return bool(descriptor.partition_start and descriptor.partition_id == 0 and data) and not (
        data[0] & 0x01
    )


class KeyframeJitterBuffer(JitterBuffer):
    """A JitterBuffer that drops what is older than an arriving keyframe."""

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        if self._is_video and self._origin is not None and packet.payload:
            ahead = uint16_add(packet.sequence_number, -self._origin)
            if 0 < ahead < 0x8000 and starts_vp8_keyframe(packet.payload):
                self.remove(min(ahead, self.capacity))
                self._origin = packet.sequence_number
        return super().add(packet)


def install() -> None:
    aiortc.rtcrtpreceiver.JitterBuffer = KeyframeJitterBuffer  # type: ignore[misc]
