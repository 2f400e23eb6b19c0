"""The kiosk's fix to aiortc's video jitter buffer: a keyframe is not kept waiting
behind a packet that will never come (kiosk/call/jitter.py). Real aiortc packets and
buffers; the VP8 payloads are the few header bytes the buffer and decoder look at."""

from __future__ import annotations

import pytest
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from kiosk.call.jitter import KeyframeJitterBuffer, starts_vp8_keyframe

pytestmark = pytest.mark.slow

# VP8 payload descriptor: S=1, PID=0 (start of a frame); then the frame header's first
# byte, whose lowest bit is 0 for a keyframe and 1 for an interframe.
KEYFRAME_START = bytes([0x10, 0x10, 0xAA])
INTERFRAME_START = bytes([0x10, 0x11, 0xAA])
CONTINUATION = bytes([0x00, 0xBB, 0xBB])


def packet(seq: int, timestamp: int, payload: bytes) -> RtpPacket:
    rtp = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp, payload=payload)
    rtp._data = payload[1:]  # what aiortc's depayloader leaves (the descriptor removed)
    return rtp


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list[int]:
    """Timestamps of the frames the buffer hands to the decoder."""
    frames = []
    for p in packets:
        _pli, frame = buffer.add(p)
        if frame is not None:
            frames.append(frame.timestamp)
    return frames


def after_a_lost_packet() -> list[RtpPacket]:
    """Frame 1000 complete, frame 2000 lost its second packet, then a keyframe at 3000
    and interframes after it."""
    return [
        packet(1, 1000, INTERFRAME_START), packet(2, 1000, CONTINUATION),
        packet(3, 2000, INTERFRAME_START),  # seq 4 never comes
        packet(5, 3000, KEYFRAME_START), packet(6, 3000, CONTINUATION),
        packet(7, 4000, INTERFRAME_START), packet(8, 5000, INTERFRAME_START),
        packet(9, 6000, INTERFRAME_START),
    ]  # fmt: skip


def test_a_keyframe_is_decoded_although_a_packet_before_it_never_came():
    frames = feed(KeyframeJitterBuffer(capacity=512, is_video=True), after_a_lost_packet())
    assert 3000 in frames and 4000 in frames and 5000 in frames


def test_aiortcs_own_buffer_waits_behind_the_hole():
    """Why the fix exists: unpatched, nothing after the hole reaches the decoder."""
    frames = feed(JitterBuffer(capacity=512, is_video=True), after_a_lost_packet())
    assert 3000 not in frames and 4000 not in frames


def test_only_the_start_of_a_vp8_keyframe_counts():
    assert starts_vp8_keyframe(KEYFRAME_START)
    assert not starts_vp8_keyframe(INTERFRAME_START)
    assert not starts_vp8_keyframe(bytes([0x00, 0x10, 0xAA]))  # not the start of a frame
    assert not starts_vp8_keyframe(b"")
