"""What the agent and the updater hand each other through state.db.

The agent writes central's wish (`DESIRED`, from the heartbeat answer) and that central
accepted a heartbeat from this release (`ACCEPTED`, one of the health gate's signs); the
updater writes where the update stands (`REPORT`), which the next heartbeat carries.
"""

from __future__ import annotations

from typing import Any

from kiosk.store import StateStore

DESIRED = "update.desired"
REPORT = "update.report"
ACCEPTED = "heartbeat.accepted"


def wish(store: StateStore, release: dict[str, Any] | None) -> bool:
    """Record central's wish (None: no deployment names this kiosk); True when it changed.

    A wish from an `update` command (no deployment) stays until it is reached or another
    one replaces it: heartbeats that name no deployment do not clear it."""
    before = store.get_state(DESIRED)
    if release == before or (release is None and (before is None or not before.get("deployment"))):
        return False
    store.set_state(DESIRED, release)
    return True
