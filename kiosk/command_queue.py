"""The commands table: central's commands as received, shared by the agent and the UI.

The agent stores what heartbeats hand out and reports results; each process
runs the command types it owns and finishes them here. A screenshot's PNG is
left in the artifacts directory under the command's id for the agent to upload.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.store import StateStore


def received(store: StateStore, types: set[str] | frozenset[str]) -> list[tuple[str, str, str]]:
    """(id, type, received_at) of unfinished commands of these types, oldest first."""
    rows = store.db.execute(
        "SELECT id, type, received_at FROM commands WHERE status = 'received' ORDER BY received_at"
    ).fetchall()
    return [(i, t, r) for i, t, r in rows if t in types]


def args_of(store: StateStore, command_id: str) -> dict[str, Any]:
    """The arguments central sent with a command ({} if none or unreadable)."""
    row = store.db.execute("SELECT args FROM commands WHERE id = ?", [command_id]).fetchone()
    try:
        args = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return args if isinstance(args, dict) else {}


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


def store_received(store: StateStore, commands: list[Any]) -> int:
    """Keep the commands a heartbeat handed out; ones seen before are ignored."""
    now = datetime.now().astimezone().isoformat()
    stored = 0
    with store.transaction() as db:
        for command in commands:
            if isinstance(command, dict) and isinstance(command.get("id"), str):
                db.execute(
                    "INSERT OR IGNORE INTO commands (id, type, args, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        command["id"],
                        str(command.get("type")),
                        json.dumps(command.get("args") or {}),
                        now,
                    ],
                )
                stored += 1
    return stored


def finished_unreported(store: StateStore) -> list[tuple[str, str, str | None]]:
    """(id, status, detail) of finished commands central has not been told about."""
    return store.db.execute(
        "SELECT id, status, detail FROM commands "
        "WHERE status IN ('succeeded', 'failed') AND reported = 0"
    ).fetchall()


def mark_reported(store: StateStore, command_id: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE commands SET reported = 1 WHERE id = ?", [command_id])
