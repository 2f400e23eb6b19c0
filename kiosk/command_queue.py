"""The commands table: central's commands as received, shared by the agent and the UI.

The agent stores what heartbeats hand out and reports results; each process
runs the command types it owns and finishes them here. A screenshot's PNG is
left in the artifacts directory under the command's id for the agent to upload.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kiosk.store import StateStore


def received(store: StateStore, types: set[str] | frozenset[str]) -> list[tuple[str, str, str]]:
    """(id, type, received_at) of unfinished commands of these types, oldest first."""
    rows = store.db.execute(
        "SELECT id, type, received_at FROM commands WHERE status = 'received' ORDER BY received_at"
    ).fetchall()
    return [(i, t, r) for i, t, r in rows if t in types]


def mark_running(store: StateStore, command_id: str) -> None:
    """Taken by a worker thread: no longer 'received', so it is not started twice."""
    with store.transaction() as db:
        db.execute("UPDATE commands SET status = 'running' WHERE id = ?", [command_id])


def finish(store: StateStore, command_id: str, status: str, detail: str) -> None:
    with store.transaction() as db:
        db.execute(
            "UPDATE commands SET status = ?, detail = ?, finished_at = ? WHERE id = ?",
            [status, detail, datetime.now().astimezone().isoformat(), command_id],
        )


def artifact_path(store: StateStore, command_id: str) -> Path:
    return store.path.parent / "artifacts" / f"{command_id}.png"
