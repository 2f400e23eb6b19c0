"""The technician PIN: checked against a salted hash from config, locked out after failures.

The lockout lives in state.db, so restarting the UI does not reset it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from contract.codes import CURRENT, LEGACY_PBKDF2, UnsupportedHash, matches, pin_hash
from kiosk.store import StateStore

KEY = "ui.technician_pin"
FREE_TRIES = 3
FIRST_LOCK_S = 60
MAX_LOCK_S = 3600


def pin_config(pin: str, salt: str) -> dict[str, str]:
    """What goes into the kiosk config as `technician_pin`."""
    return {"salt": salt, "hash": pin_hash(pin, salt), "alg": CURRENT}


class PinLock:
    def __init__(
        self,
        store: StateStore,
        configured: dict[str, Any] | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.configured = configured or {}
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return bool(self.configured.get("hash") and self.configured.get("salt"))

    def locked_for_s(self) -> int:
        state = self.store.get_state(KEY, {})
        return max(0, int(state.get("locked_until", 0) - self.clock()))

    def try_pin(self, typed: str) -> str:
        """'ok', 'wrong', 'locked' or 'disabled'."""
        if not self.enabled:
            return "disabled"
        if self.locked_for_s() > 0:
            return "locked"
        state = self.store.get_state(KEY, {})
        expected = str(self.configured["hash"])
        # A config written before "alg" existed used PBKDF2.
        algorithm = str(self.configured.get("alg") or LEGACY_PBKDF2)
        try:
            typed_hash = pin_hash(typed, str(self.configured["salt"]), algorithm)
        except (UnsupportedHash, ValueError):
            return "disabled"
        if matches(expected, typed_hash):
            self.store.set_state(KEY, {})
            return "ok"
        failures = int(state.get("failures", 0)) + 1
        state = {"failures": failures, "locked_until": 0}
        if failures >= FREE_TRIES:
            lock = min(FIRST_LOCK_S * 2 ** (failures - FREE_TRIES), MAX_LOCK_S)
            state["locked_until"] = self.clock() + lock
        self.store.set_state(KEY, state)
        return "locked" if state["locked_until"] else "wrong"
