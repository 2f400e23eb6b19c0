"""The audit log: every change a person or system makes, through the API or the console.

One middleware writes it, so no endpoint can forget to: every POST, PUT,
PATCH and DELETE by a person or system token is appended with who (user,
role, organisation), what (method, path, answer status), when and from where
(client address). Kiosks' own traffic (heartbeats, events) is not a person's
change and is left out. An endpoint that acts on another organisation's call
(an interpreter or expert taking part, a document downloaded) names that
organisation with `concerns`: the entry then shows in its audit log too, and
such a read (GET) is logged as well. Nothing edits or deletes a row; retention alone
removes rows older than `audit_retention_days`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, false, or_, select
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.access.browser_session import is_console, request_token
from central.db.engine import changed
from central.db.models import AuditEntry
from central.db.types import utcnow
from central.errors import database_away
from central.web.request_guard import Caller, CallerCache, caller_of

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_PATH = 300
CONCERNS = "audit_concerns"
CHANGED = "audit_changes"
MAX_CHANGES = 30  # fields named in one entry; the rest are counted
MAX_VALUE = 200  # characters of an old or new value kept

log = logging.getLogger("central")


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[list[Any]]:
    """[field, old, new] for each field that differs, nested ones by dotted name, values
    shortened to MAX_VALUE characters (the console's review shows the same rows)."""
    old, new = _flat(before), _flat(after)
    return [
        [key, _short(old.get(key)), _short(new.get(key))]
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def record_changes(request: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    """This request changed these settings: the entry says each field's old and new
    value ("idle_timeout_s: 60 → 90"), nested settings by their dotted name."""
    rows = changes(before, after)
    request.state.audit_changes = rows[:MAX_CHANGES] + (
        [["…", len(rows) - MAX_CHANGES, None]] if len(rows) > MAX_CHANGES else []
    )


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value} if prefix else {}


def _short(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _changes(scope: Scope) -> list[Any] | None:
    state = scope.get("state") or {}
    found = state.get(CHANGED) if isinstance(state, dict) else None
    return found if isinstance(found, list) else None


def concerns(request: Any, org_id: str) -> None:
    """This request acts on `org_id`'s call: its admins see the entry too."""
    request.state.audit_concerns = org_id


def _concerned(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    found = state.get(CONCERNS) if isinstance(state, dict) else None
    return found if isinstance(found, str) else None


class AuditTrail:
    """Pure ASGI middleware just inside the request guard (which names the caller)."""

    def __init__(self, app: ASGIApp, sessions: Callable[[], Session], callers: CallerCache) -> None:
        self.app = app
        self.sessions = sessions
        self.callers = callers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        status: list[int] = []
        # The entry's time is when the request arrived: its row is written after the
        # answer, so two quick changes may be written in either order (seen on PostgreSQL).
        arrived = utcnow()

        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, noted)
        if scope["method"] not in CHANGES and _concerned(scope) is None:
            return
        # After the endpoint's own session is closed: on SQLite it holds the process's
        # write lock until then (central/db/engine.py).
        if status:
            caller = await self._caller(scope)
            if caller is not None and caller.kind == "person":
                await run_in_threadpool(self._append, scope, caller, status[0], arrived)

    async def _caller(self, scope: Scope) -> Caller | None:
        caller = caller_of(scope)
        if caller is not None:
            return caller
        # The guard looks at bodies only: a DELETE passes it unchecked.
        token = request_token(scope["path"], dict(scope.get("headers") or []))
        if token is None:
            return None
        found = await self.callers.caller(token)
        return found if isinstance(found, Caller) else None

    def _append(self, scope: Scope, caller: Caller, status: int, arrived: datetime) -> None:
        """Written after the answer went, so a database failing over at that moment must
        not lose the entry: tried again for about 8 s (a promotion takes ~1 s), then
        logged as lost, without the change's details (never a stack trace here)."""
        for pause in (0.25, 0.5, 1.0, 2.0, 4.0, None):
            try:
                self._write(scope, caller, status, arrived)
                return
            except (DBAPIError, DisconnectionError) as exc:
                if pause is None or not database_away(exc):
                    log.error(
                        "audit entry not written (%s %s by %s, status %s): %s",
                        scope["method"],
                        scope["path"][:MAX_PATH],
                        caller.user_id,
                        status,
                        type(exc).__name__,
                    )
                    return
                time.sleep(pause)

    def _write(self, scope: Scope, caller: Caller, status: int, arrived: datetime) -> None:
        client = scope.get("client")
        with self.sessions() as db:
            db.add(
                AuditEntry(
                    at=arrived,
                    user_id=caller.user_id,
                    role=caller.role,
                    org_id=caller.org_id,
                    concerns_org_id=_concerned(scope),
                    via="console" if is_console(scope["path"]) else "api",
                    method=scope["method"],
                    path=scope["path"][:MAX_PATH],
                    status=status,
                    address=(client[0] if client else "unknown")[:64],
                    detail={"changes": found} if (found := _changes(scope)) else None,
                )
            )
            db.commit()


def visible_to(access: Any) -> Any:
    """What a viewer's audit log holds: entries of their own organisation's people and
    entries about their organisation's calls (the national admin: all)."""
    return access.org_filter(AuditEntry.org_id) | access.org_filter(AuditEntry.concerns_org_id)


def entries_query(
    org_filter: Any,
    user_id: str | None = None,
    via: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    path_contains: str | None = None,
) -> Select[AuditEntry]:
    """Newest first by arrival, limited to what the viewer may see (`org_filter`: the
    actor's organisation or the one the action concerned)."""
    query = (
        select(AuditEntry).where(org_filter).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    if via:
        query = query.where(AuditEntry.via == via)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if path_contains:
        query = query.where(AuditEntry.path.contains(path_contains, autoescape=True))
    return query


def older_than(query: Select[AuditEntry], db: Session, entry_id: int) -> Select[AuditEntry]:
    """The page after `entry_id` in `entries_query`'s order (nothing if it is unknown)."""
    at = db.scalar(select(AuditEntry.at).where(AuditEntry.id == entry_id))
    if at is None:
        return query.where(false())
    return query.where(or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id)))


def prune(db: Session, older_than: datetime) -> int:
    """Retention: the only way rows leave the audit log."""
    return changed(db, delete(AuditEntry).where(AuditEntry.at < older_than))
