"""The hidden technician entry: five single-finger taps in the top-left corner within 4 s."""

from __future__ import annotations

import time
from typing import Any

from kivy.metrics import mm

TAPS = 5
WITHIN_S = 4.0


class TechnicianCorner:
    def __init__(self) -> None:
        self.taps: list[float] = []
        self.opened = False

    def tap(self, screen: Any, touch: Any) -> bool:
        """True when the touch was in the corner (and so is not a citizen's touch)."""
        size = mm(20)
        if not (touch.x <= screen.x + size and touch.y >= screen.top - size):
            self.taps.clear()
            return False
        now = time.monotonic()
        self.taps = [t for t in self.taps if now - t <= WITHIN_S] + [now]
        self.opened = len(self.taps) >= TAPS
        if self.opened:
            self.taps.clear()
        return True
