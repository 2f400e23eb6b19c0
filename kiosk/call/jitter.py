"""aiortc's video receiver, repaired for lossy links: its jitter buffer jumps to a
keyframe, and a lost packet is asked for again.

aiortc assembles a frame only from an unbroken run of packets starting at its
buffer's origin. A packet that never comes (lost while a link was down, and too old
for the media server to resend) blocks every later frame until 512 more packets
have arrived: at the 30–60 packets a second of a 640×480 call, 10–15 s of frozen
picture after a 5 s blackout, and the keyframe the kiosk asked for sits behind the
hole unused. A decoder that starts over from a keyframe needs nothing older, so
when the start of a VP8 keyframe arrives everything before it is dropped, as
libwebrtc's own frame buffer does.

aiortc also asks for a lost packet (NACK) only once, when the gap appears: if the
resent packet is lost too (1 in 20 at 5 % loss), the frame waits until the next
gap happens to list it again, or for a keyframe. `NackRetry` asks again every
RETRY_S for packets missing less than RETRY_FOR_S, at most RETRIES times, as
libwebrtc's NACK module does; older ones are left to the keyframe. The other way,
a packet Janus asks the kiosk for is sent twice (RESEND_AGAIN_S apart).

Installed once by importing kiosk.call.room (`install()`): it replaces the class
aiortc's RTCRtpReceiver builds its buffers from; audio buffers are unaffected.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
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


RETRY_S = 0.1
RETRY_FOR_S = 0.8
RETRIES = 5


class NackRetry:
    """Asks again for the packets one video receiver still misses (see above)."""

    def __init__(self) -> None:
        self._asked: dict[int, tuple[float, int]] = {}  # seq -> (first missed, times asked)
        self.sent = 0

    def due(self, missing: set[int], now: float) -> list[int]:
        """The missing packets to ask for again now; forgets what arrived or is too old."""
        for seq in list(self._asked):
            if seq not in missing:
                del self._asked[seq]
        again = []
        for seq in sorted(missing):
            first, times = self._asked.get(seq, (now, 0))
            if times >= RETRIES or now - first > RETRY_FOR_S:
                self._asked[seq] = (first, RETRIES)
                continue
            if times == 0 and now - first < RETRY_S:
                self._asked[seq] = (first, 0)  # aiortc asked a moment ago
                continue
            self._asked[seq] = (first, times + 1)
            again.append(seq)
        return again

    async def resend(self, receiver: Any, ssrc: int) -> None:
        """One look at `receiver` (aiortc's RTCRtpReceiver; its missing-packet set is
        private, read here by its mangled name) and a NACK for what is due."""
        generator = getattr(receiver, "_RTCRtpReceiver__nack_generator", None)
        if generator is None:
            return
        again = self.due(set(generator.missing), time.monotonic())
        if again:
            await receiver._send_rtcp_nack(ssrc, again)  # noqa: SLF001
            self.sent += 1


# A packet the media server asks for again goes out twice, this far apart: on a lossy
# uplink one resend in 20 is lost too, and the media server may not ask a second time.
RESEND_AGAIN_S = 0.03
_aiortc_retransmit = aiortc.rtcrtpsender.RTCRtpSender._retransmit


_resending: set[asyncio.Task[None]] = set()


async def _retransmit_twice(sender: Any, sequence_number: int) -> None:
    await _aiortc_retransmit(sender, sequence_number)

    def again() -> None:
        # Not awaited: aiortc resends a NACK's packets one after the other.
        task = asyncio.ensure_future(_aiortc_retransmit(sender, sequence_number))
        _resending.add(task)
        task.add_done_callback(_resending.discard)

    asyncio.get_running_loop().call_later(RESEND_AGAIN_S, again)


def install() -> None:
    aiortc.rtcrtpreceiver.JitterBuffer = KeyframeJitterBuffer  # type: ignore[misc]
    aiortc.rtcrtpsender.RTCRtpSender._retransmit = _retransmit_twice  # type: ignore[method-assign,assignment]
