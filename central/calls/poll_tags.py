"""The tag (`ETag`) of a polled answer: what it was built from, signed with central's
secret, so that the next poll that brings it back as `If-None-Match` can be answered
`304` when none of it changed (central/calls/desk_poll.py, kiosk_poll.py).

A tag names who asked, the chat lines after which, the call shown, one flag that time
alone turns (the other side's connection), when it was made, and the change marks
(central/calls/change_marks.py) read before the answer was built. Signed, it cannot be
made to name someone else's marks: a poller could otherwise learn from 304 or 200
whether another organisation's calls changed.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Literal

# A tag older than this gets a full answer, whatever its marks say: what no mark counts
# (names, agreements, TURN credentials) is at most this old.
FULL_EVERY_S = 30
# A mark the answer was not built against: the next poll is answered in full.
UNKNOWN = -1

Kind = Literal["desk", "kiosk"]


def issued_at(now: float, limit_s: float) -> int:
    """A new tag's time, moved by a random quarter of its limit either way: tags made
    together (every desk after a restart, every kiosk that queued at once) would
    otherwise all come due together, and their full answers with them (seen as latency
    spikes every 10 s in bench/central_scale.py). On average a tag lasts its limit."""
    return int(now + random.uniform(-limit_s / 4, limit_s / 4))


@dataclass(frozen=True)
class PollTag:
    kind: Kind
    who: str  # the user, or the kiosk
    after: int
    issued: int  # Unix seconds
    call_id: str  # "" when the answer showed no call
    flag: bool
    marks: dict[str, int]

    def _payload(self) -> str:
        marks = ",".join(f"{scope}={version}" for scope, version in sorted(self.marks.items()))
        flag = int(self.flag)
        return f"{self.kind}|{self.who}|{self.after}|{self.issued}|{self.call_id}|{flag}|{marks}"

    def holds(
        self, who: str, after: int, marks: dict[str, int], flag: bool, now: float, limit_s: float
    ) -> bool:
        """Whether an answer built now would be the one this tag came with: the same
        asker and chat lines, every mark and the flag unchanged, the tag not yet due."""
        return (
            self.who == who
            and self.after == after
            and now - self.issued < limit_s
            and self.marks == marks
            and self.flag == flag
        )

    def encode(self, secret: bytes) -> str:
        payload = self._payload()
        return f'"{payload}|{_mac(secret, payload)}"'

    @classmethod
    def decode(cls, secret: bytes, kind: Kind, header: str | None) -> PollTag | None:
        """The tag a client sent back, or None unless it is one of ours of this kind,
        unchanged."""
        if not header:
            return None
        text = header.strip().removeprefix("W/").strip('"')
        payload, _, mac = text.rpartition("|")
        if not payload or not hmac.compare_digest(mac, _mac(secret, payload)):
            return None
        try:
            found, who, after, issued, call_id, flag, marks = payload.split("|")
            pairs = [pair.rpartition("=") for pair in marks.split(",") if pair]
            tag = cls(
                kind=kind,
                who=who,
                after=int(after),
                issued=int(issued),
                call_id=call_id,
                flag=flag == "1",
                marks={scope: int(value) for scope, _, value in pairs},
            )
        except ValueError:
            return None
        return tag if found == kind else None


def _mac(secret: bytes, payload: str) -> str:
    key = hashlib.sha256(b"poll-tag\0" + secret).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]
