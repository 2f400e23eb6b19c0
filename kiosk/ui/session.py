"""One citizen's session: when it starts, when it idles out, and what is wiped when it ends.

Pure Python with an injectable clock, so the timing rules are tested without
a window. The app calls `poll()` a few times a second and acts on the answer.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

MIN_WARNING_S = 20  # EN 301 549 / WCAG 2.2.1: at least 20 s to ask for more time
MIN_EXTENSIONS = 10


class Phase(StrEnum):
    NONE = "none"  # nobody is using the kiosk
    ACTIVE = "active"
    WARNING = "warning"  # idle warning on screen, "more time" offered


class CitizenSession:
    def __init__(
        self,
        scratch_root: Path,
        idle_timeout_s: float = 60,
        warning_s: float = MIN_WARNING_S,
        max_extensions: int = MIN_EXTENSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scratch_root = Path(scratch_root)
        self.idle_timeout_s = idle_timeout_s
        self.warning_s = max(warning_s, MIN_WARNING_S)
        self.max_extensions = max(max_extensions, MIN_EXTENSIONS)
        self.clock = clock
        self.phase = Phase.NONE
        self.id: str | None = None
        self.scratch: Path | None = None
        self.extensions_used = 0
        self._started = 0.0
        self._last_activity = 0.0
        self._warned_at = 0.0
        self.held = False
        self.wipers: list[Callable[[], None]] = []

    @property
    def active(self) -> bool:
        return self.phase != Phase.NONE

    def remove_leftovers(self) -> int:
        """Scratch directories left by a crash or power cut hold a citizen's data: delete them."""
        if not self.scratch_root.exists():
            return 0
        removed = 0
        for leftover in self.scratch_root.iterdir():
            if leftover != self.scratch:
                shutil.rmtree(leftover, ignore_errors=True)
                removed += 1
        return removed

    def start(self) -> str:
        self.id = str(uuid.uuid4())
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix="session-", dir=self.scratch_root))
        self.scratch.chmod(0o700)
        self.phase = Phase.ACTIVE
        self.extensions_used = 0
        self._started = self._last_activity = self.clock()
        return self.id

    def activity(self) -> None:
        """A touch while active; during the warning only "more time" counts."""
        if self.phase == Phase.ACTIVE:
            self._last_activity = self.clock()

    @property
    def can_extend(self) -> bool:
        return self.extensions_used < self.max_extensions

    def extend(self) -> bool:
        if self.phase != Phase.WARNING or not self.can_extend:
            return False
        self.extensions_used += 1
        self.phase = Phase.ACTIVE
        self._last_activity = self.clock()
        return True

    @property
    def warning_left_s(self) -> float:
        if self.phase != Phase.WARNING:
            return 0.0
        return max(0.0, self.warning_s - (self.clock() - self._warned_at))

    def hold(self, on: bool) -> None:
        """A video call holds the idle timeout (a citizen listening touches nothing);
        when it ends, the idle time starts afresh."""
        self.held = on
        if self.phase != Phase.NONE:
            self.phase = Phase.ACTIVE
            self._last_activity = self.clock()

    def poll(self) -> str | None:
        """'warn' once when the idle time runs out, 'expire' when the warning does."""
        now = self.clock()
        if self.held:
            return None
        if self.phase == Phase.ACTIVE and now - self._last_activity >= self.idle_timeout_s:
            self.phase = Phase.WARNING
            self._warned_at = now
            return "warn"
        if self.phase == Phase.WARNING and now - self._warned_at >= self.warning_s:
            return "expire"
        return None

    def end(self) -> float:
        """Wipe everything of this citizen; returns the session's duration in seconds."""
        duration = self.clock() - self._started if self.active else 0.0
        for wipe in self.wipers:
            wipe()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch = None
        self.id = None
        self.phase = Phase.NONE
        self.extensions_used = 0
        self.held = False
        return duration
