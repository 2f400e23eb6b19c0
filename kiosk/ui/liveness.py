"""The UI's signs of life: `ui.alive` in state.db for the agent, WATCHDOG=1 for systemd.

The agent reports the UI down when `ui.alive` is older than a minute; systemd
restarts the UI when the watchdog is not fed for 30 s. Both come from the
main loop's tick, so a hung loop stops both.
"""

from __future__ import annotations

import time
from datetime import datetime

from contract import release
from kiosk import watchdog
from kiosk.store import StateStore

KEY = "ui.alive"
EVERY_S = 5.0


class Liveness:
    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.since = time.time()
        self.last = 0.0

    def due(self) -> bool:
        return time.time() - self.last >= EVERY_S

    def report(self, state: str) -> None:
        """What the UI shows now (a screen's name, or "down" when it stops)."""
        self.last = time.time()
        self.store.set_state(
            KEY,
            {
                "state": state,
                "since": datetime.fromtimestamp(self.since).isoformat(),
                "at": self.last,
                # The updater's health gate waits for the new release's own UI.
                "version": release.VERSION,
            },
        )

    @staticmethod
    def feed_watchdog() -> None:
        watchdog.notify("WATCHDOG=1")
