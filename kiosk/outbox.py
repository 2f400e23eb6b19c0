"""Usage events waiting for central: durable, bounded, and never lost silently.

The UI adds events; the agent uploads them in batches and deletes only what
central acknowledged (accepted or duplicate). When the bound is reached the
oldest events are dropped and counted; the count goes to central in every
heartbeat as `dropped_events`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.store import StateStore

DEFAULT_MAX_EVENTS = 200_000
DROPPED_KEY = "outbox.dropped_events"


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    id: str
    type: str
    at: str
    session_id: str | None
    data: dict[str, Any]

    def as_upload(self) -> dict[str, Any]:
        event: dict[str, Any] = {"id": self.id, "type": self.type, "at": self.at, "data": self.data}
        if self.session_id:
            event["session_id"] = self.session_id
        return event


class Outbox:
    def __init__(self, store: StateStore, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.store = store
        self.max_events = max_events

    def add(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        session_id: str | None = None,
        at: datetime | None = None,
        check: Callable[[dict[str, Any]], object] | None = None,
    ) -> str:
        """Record one event durably; returns its id. Committed means it survives power loss.

        `check` sees the event exactly as it will be uploaded and may raise to refuse it."""
        event = OutboxEvent(
            0,
            str(_uuid4()),
            type,
            (at or datetime.now().astimezone()).isoformat(timespec="seconds"),
            session_id,
            data or {},
        )
        if check is not None:
            check(event.as_upload())
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO outbox (id, type, at, session_id, data) VALUES (?, ?, ?, ?, ?)",
                [
                    event.id,
                    event.type,
                    event.at,
                    event.session_id,
                    json.dumps(event.data, ensure_ascii=False),
                ],
            )
            self._enforce_bound(db)
        return event.id

    def _enforce_bound(self, db: Any) -> None:
        # The seq span, read from the primary key's two ends, bounds the depth
        # from above; the exact count is needed only when the span is over.
        # (Two subqueries: SQLite reads a lone MIN or MAX from the index but
        # scans the whole table for both in one SELECT.)
        span = (
            db.execute(
                "SELECT (SELECT MAX(seq) FROM outbox) - (SELECT MIN(seq) FROM outbox) + 1"
            ).fetchone()[0]
            or 0
        )
        if span <= self.max_events:
            return
        over = self.depth() - self.max_events
        if over <= 0:
            return
        db.execute(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)", [over]
        )
        self.store.set_state(DROPPED_KEY, self.dropped() + over)

    def depth(self) -> int:
        # seq is AUTOINCREMENT and only the oldest rows are deleted, so the
        # range is close to the count; COUNT(*) is exact and fast enough on
        # the primary key for the bound we keep.
        return int(self.store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def dropped(self) -> int:
        return int(self.store.get_state(DROPPED_KEY, 0))

    def batch(self, limit: int = 500) -> list[OutboxEvent]:
        """The oldest events, in order, to upload next."""
        rows = self.store.db.execute(
            "SELECT seq, id, type, at, session_id, data FROM outbox ORDER BY seq LIMIT ?", [limit]
        ).fetchall()
        return [
            OutboxEvent(seq, id_, type_, at, session_id, json.loads(data))
            for seq, id_, type_, at, session_id, data in rows
        ]

    def acknowledge(self, ids: list[str]) -> int:
        """Forget events central has taken; returns how many were removed."""
        if not ids:
            return 0
        removed = 0
        with self.store.transaction() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                removed += db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk).rowcount
        return removed


def _uuid4() -> object:
    """uuid4, importing uuid when the first event is written: its import (platform
    detection) is not worth paying before the UI's first frame."""
    import uuid

    return uuid.uuid4()
