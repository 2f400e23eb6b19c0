"""The kiosk's link level from measured loss (kiosk/call/quality.py): pure logic, fed
with the counters aiortc's getStats gives; the real link is tests/calls/test_poor_links.py."""

from __future__ import annotations

from kiosk.call.quality import (
    FAIR,
    GOOD,
    POOR,
    SEND,
    LinkCounts,
    LinkQuality,
    received_loss,
    sent_loss,
)


def test_loss_is_counted_from_the_counters_deltas():
    before = LinkCounts(received=1000, lost=10, sent=900, sent_lost=5)
    now = LinkCounts(received=1095, lost=15, sent=1000, sent_lost=8)
    assert received_loss(before, now) == 5 / 100
    assert sent_loss(before, now) == 3 / 100
    # Nothing arrived or went (a connection rebuilt: counters from zero): no figure.
    assert received_loss(now, LinkCounts()) is None
    assert sent_loss(now, LinkCounts()) is None


def test_worse_after_two_bad_seconds_better_one_step_after_ten_good():
    link = LinkQuality()
    assert link.observe(0.20, 0.0) == GOOD  # one bad second is not a bad link
    assert link.observe(0.01, 0.0) == GOOD
    assert link.observe(0.20, 0.0) == GOOD
    assert link.observe(0.15, None) == POOR
    assert link.send == SEND[POOR] and link.send.width == 320
    for _ in range(9):
        assert link.observe(0.0, 0.0) == POOR
    assert link.observe(0.0, 0.0) == FAIR  # one step up at a time
    assert link.send.width == 480
    for _ in range(10):
        link.observe(0.0, 0.0)
    assert link.level == GOOD and link.send.width == 640


def test_the_worse_direction_counts_and_silence_is_poor():
    link = LinkQuality()
    link.observe(0.0, 0.05)
    assert link.observe(0.0, 0.05) == FAIR  # what the kiosk sends is lossy
    other = LinkQuality()
    other.observe(None, None)
    assert other.observe(None, None) == POOR  # nothing arrives and no report comes
    alone = LinkQuality()
    alone.observe(None, 0.0)
    assert alone.observe(None, 0.0) == GOOD  # no one else sends yet, and ours arrives


def test_resolution_goes_down_before_frame_rate():
    widths = [SEND[level].width for level in (GOOD, FAIR, POOR)]
    bitrates = [SEND[level].max_bitrate for level in (GOOD, FAIR, POOR)]
    assert widths == sorted(widths, reverse=True) and bitrates == sorted(bitrates, reverse=True)
    assert all(SEND[level].width * 3 == SEND[level].height * 4 for level in SEND)


def test_a_lost_packet_is_asked_for_again_a_few_times_then_left_to_a_keyframe():
    from kiosk.call.jitter import RETRIES, RETRY_FOR_S, RETRY_S, NackRetry

    retry = NackRetry()
    assert retry.due({7}, 0.0) == []  # aiortc has just asked for it itself
    assert retry.due({7}, RETRY_S) == [7]
    assert retry.due({7, 9}, 2 * RETRY_S) == [7]  # 9 is new: aiortc asked for it
    assert retry.due({9}, 3 * RETRY_S) == [9]  # 7 arrived and is forgotten
    asked = sum(len(retry.due({9}, (4 + n) * RETRY_S)) for n in range(20))
    assert asked <= RETRIES - 1  # bounded: at most RETRIES in all, and never after
    assert retry.due({9}, 3 * RETRY_S + RETRY_FOR_S + 1) == []
