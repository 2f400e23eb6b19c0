"""Real-time text as it arrives: T.140 characters (RFC 8865 carries them over a WebRTC
data channel) applied to the line someone is writing.

U+0008 erases the last character, U+2028 (or a newline) ends the line; other control
characters are dropped. Lines are kept short and few: it is a conversation, not a log.
"""

from __future__ import annotations

import threading

BACKSPACE = "\u0008"
LINE_END = "\u2028"
MAX_LINE = 300
MAX_LINES = 5


class LiveLine:
    """What one person is writing now, and their last few finished lines."""

    def __init__(self) -> None:
        self.current = ""
        self.finished: list[str] = []

    def apply(self, text: str) -> None:
        for char in text:
            if char == BACKSPACE:
                self.current = self.current[:-1]
            elif char in (LINE_END, "\n", "\r"):
                if self.current:
                    self.finished = [*self.finished, self.current][-MAX_LINES:]
                self.current = ""
            elif char.isprintable() and len(self.current) < MAX_LINE:
                self.current += char


def typed_change(before: str, after: str) -> str:
    """The T.140 characters that turn `before` into `after` (backspaces, then new text):
    what a text box's change sends."""
    common = 0
    for a, b in zip(before, after, strict=False):
        if a != b:
            break
        common += 1
    return BACKSPACE * (len(before) - common) + after[common:]


class LiveLines:
    """Everyone's line at once, fed from the call's thread and read from the UI's: who is
    writing what now, in the order they started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: dict[str, LiveLine] = {}

    def apply(self, source: str, text: str) -> list[tuple[str, str]]:
        """Applies `source`'s characters; returns (who, line) for everyone writing now."""
        with self._lock:
            self._lines.setdefault(source, LiveLine()).apply(text)
            return [(who, line.current) for who, line in self._lines.items() if line.current]

    def clear(self) -> None:
        with self._lock:
            self._lines = {}
