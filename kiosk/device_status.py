"""device_status in state.db: each device's latest state, which heartbeats carry to central.

The UI writes what its drivers report and the technician's self-test adds its
results; both go through `save`, which merges the detail, so neither wipes out
what the other wrote (a self-test report stays visible after the UI restarts).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from kiosk.store import StateStore


def save(store: StateStore, kind: str, name: str, state: str, detail: dict[str, Any]) -> str | None:
    """Record the device's state, merging `detail` into what is there; returns the
    previous state, or None for a device not seen before."""
    with store.transaction() as db:
        row = db.execute(
            "SELECT state, detail FROM device_status WHERE kind = ? AND name = ?", [kind, name]
        ).fetchone()
        merged = {**(json.loads(row[1]) if row else {}), **detail}
        db.execute(
            "INSERT OR REPLACE INTO device_status (kind, name, state, detail, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                kind,
                name,
                state,
                json.dumps(merged),
                datetime.now().astimezone().isoformat(timespec="seconds"),
            ],
        )
    return row[0] if row else None


def all_devices(store: StateStore) -> list[dict[str, Any]]:
    """Every device's latest state, as a heartbeat carries it."""
    rows = store.db.execute(
        "SELECT kind, name, state, detail FROM device_status ORDER BY kind, name"
    ).fetchall()
    return [{"kind": k, "name": n, "state": s, "detail": json.loads(d)} for k, n, s, d in rows]


REPORT_NOW = "agent.heartbeat_now"


def request_report(store: StateStore) -> None:
    """Ask the agent to send a heartbeat now (a device just failed: central must know)."""
    store.set_state(REPORT_NOW, True)


def report_requested(store: StateStore) -> bool:
    """True once per request: the agent takes it and beats."""
    if not store.get_state(REPORT_NOW, False):
        return False
    store.set_state(REPORT_NOW, False)
    return True
