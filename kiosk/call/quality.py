"""How good the kiosk's link is, and how much to send over it.

Once a second the kiosk counts the packets it received and lost on every incoming
stream, and reads the loss Janus reports (RTCP receiver reports) on what it sends.
The worse of the two makes the link's level:

- good: under 2 % lost; fair: 2–10 %; poor: more, or nothing arriving at all.

A worse level is taken after two bad seconds in a row, a better one only after ten
good ones, so a single lost burst does not send the picture up and down.

What the level changes (EN 301 549 6.5.1: resolution goes before frame rate):
the kiosk's camera goes out at 640×480, 480×360 or 320×240 at 30 frames a
second and a bitrate to match; the level goes to central with each poll, and the
official's desk caps what it sends to the kiosk (desk.js) and shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.call_api import LinkLevel

GOOD, FAIR, POOR = LinkLevel.GOOD, LinkLevel.FAIR, LinkLevel.POOR
LEVELS = tuple(LinkLevel)
FAIR_LOSS = 0.02
POOR_LOSS = 0.10
WORSE_AFTER = 2  # bad seconds in a row before stepping down
BETTER_AFTER = 10  # good seconds in a row before stepping up


@dataclass(frozen=True)
class SendProfile:
    """What the kiosk sends at a level: frame size and the encoder's bitrate cap."""

    width: int
    height: int
    max_bitrate: int


# 800 kbit/s at best: with the sound and the headers it fits a 1 Mbit/s line, and is
# plenty for 640×480 (the official's desk caps itself the same way).
SEND = {
    GOOD: SendProfile(640, 480, 800_000),
    FAIR: SendProfile(480, 360, 400_000),
    POOR: SendProfile(320, 240, 200_000),
}


@dataclass
class LinkCounts:
    """Cumulative packet counters of a call's connections, as getStats gives them:
    received and lost on what arrives, sent and reported lost (by Janus) on what goes."""

    received: int = 0
    lost: int = 0
    sent: int = 0
    sent_lost: int = 0


def received_loss(before: LinkCounts, now: LinkCounts) -> float | None:
    """Fraction of incoming packets lost in an interval; None when none were expected."""
    received = max(0, now.received - before.received)
    lost = max(0, now.lost - before.lost)
    expected = received + lost
    return lost / expected if expected else None


def sent_loss(before: LinkCounts, now: LinkCounts) -> float | None:
    """Fraction of outgoing packets Janus reports lost; None when nothing was sent or no
    new report came."""
    sent = max(0, now.sent - before.sent)
    lost = max(0, now.sent_lost - before.sent_lost)
    return min(1.0, lost / sent) if sent else None


def level_of(loss: float | None) -> LinkLevel:
    if loss is None:
        return POOR
    if loss >= POOR_LOSS:
        return POOR
    return FAIR if loss >= FAIR_LOSS else GOOD


class LinkQuality:
    """The level, moved with hysteresis by one measurement a second (`observe`)."""

    def __init__(self) -> None:
        self.level = GOOD
        self._worse = 0
        self._better = 0
        self.last_loss: float | None = 0.0

    def observe(self, received_loss: float | None, sent_loss: float | None) -> LinkLevel:
        """One second's loss on what arrived (None: nothing arrived) and on what was
        sent (Janus's report; None: no report this second, which says nothing)."""
        losses = [x for x in (received_loss, sent_loss) if x is not None]
        loss = max(losses) if losses else None
        if received_loss is None and sent_loss is not None:
            loss = sent_loss  # nothing to receive yet (no one else publishing): not a fault
        self.last_loss = loss
        seen = level_of(loss)
        rank, now = LEVELS.index(seen), LEVELS.index(self.level)
        if rank > now:
            self._worse, self._better = self._worse + 1, 0
            if self._worse >= WORSE_AFTER:
                self.level, self._worse = seen, 0
        elif rank < now:
            self._better, self._worse = self._better + 1, 0
            if self._better >= BETTER_AFTER:
                self.level, self._better = LEVELS[now - 1], 0  # one step at a time
        else:
            self._worse = self._better = 0
        return self.level

    @property
    def send(self) -> SendProfile:
        return SEND[self.level]
