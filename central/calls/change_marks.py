"""Change marks: one counter per thing a poller watches, moved in the same transaction as
the change, so that a desk polling every 2 s learns "nothing new" from a few numbers
instead of rebuilding its whole state (issue 36: 500 desks and 300 kiosks at 400 polls/s).

Scopes:
- `call:<id>`: the call itself (not its "still here" times), its chat lines, documents,
  parties and payments;
- `queue:<org>`: the calls whose provider is the organisation (new, taken, ended, moved),
  and expert invitations asked of it;
- `user:<id>`: an official's own settings (presence, services, languages, role);
- `parties`: any party of any call (interpreters' requests are across organisations).

Every ORM change is counted by the session hooks below (`install`). A bulk `update()`
of one of these tables bypasses them: the code that runs one calls `touch` (a test
holds the list). The counters are bumped once per transaction, just before it commits,
in one statement with the scopes sorted, so two transactions never wait on each other's
marks in opposite orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from central.db.models import (
    Call,
    CallDocument,
    CallMessage,
    CallParty,
    ChangeMark,
    OfficialProfile,
    Payment,
    User,
)

PARTIES = "parties"
_PENDING = "change_marks"
# Columns that only say "still here": written by polls, read against a time limit, never
# a change anyone must be told of (the time limit itself is checked on every poll).
_LIVENESS = {Call: {"kiosk_seen_at", "official_seen_at"}, OfficialProfile: {"seen_at"}}


CALL = "call:"
QUEUE = "queue:"


def call_scope(call_id: str) -> str:
    return f"{CALL}{call_id}"


def queue_scope(org_id: str | None) -> str:
    return f"{QUEUE}{org_id or '-'}"


def user_scope(user_id: str) -> str:
    return f"user:{user_id}"


def scopes_of(row: Any) -> set[str]:
    """What a changed row changes for those who watch."""
    if isinstance(row, Call):
        return {call_scope(row.id), queue_scope(row.provider_id)}
    if isinstance(row, CallParty):
        found = {call_scope(row.call_id), PARTIES}
        if row.org_id:
            found.add(queue_scope(row.org_id))
        return found
    if isinstance(row, CallMessage | CallDocument):
        return {call_scope(row.call_id)}
    if isinstance(row, Payment):
        return {call_scope(row.call_id)} if row.call_id else set()
    if isinstance(row, OfficialProfile):
        return {user_scope(row.user_id)}
    if isinstance(row, User):
        return {user_scope(row.id)}
    return set()


def touch(db: Session, *scopes: str) -> None:
    """Counts a change the session cannot see (a bulk `update()`), at the next commit."""
    db.info.setdefault(_PENDING, set()).update(scopes)


def version_of(scope: str | ColumnElement[str]) -> ScalarSelect[int]:
    """A scope's count as a subquery (NULL: never changed), for a poll to read its marks
    in the same statement as whatever else it reads."""
    return select(ChangeMark.version).where(ChangeMark.scope == scope).scalar_subquery()


def read(db: Session, scopes: Iterable[str]) -> dict[str, int]:
    """The current count of each scope (0: never changed), in one statement."""
    wanted = list(scopes)
    rows = db.execute(
        select(ChangeMark.scope, ChangeMark.version).where(ChangeMark.scope.in_(wanted))
    )
    return {scope: 0 for scope in wanted} | {scope: version for scope, version in rows}


def _changed_beyond_liveness(row: Any) -> bool:
    state = inspect(row)
    skip = next((names for kind, names in _LIVENESS.items() if isinstance(row, kind)), set())
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in skip)


def _collect(session: Session, _context: Any) -> None:
    # After the flush: new rows have their ids, and the lists and histories still say
    # what the flush wrote.
    pending: set[str] = session.info.setdefault(_PENDING, set())
    for row in chain(session.new, session.deleted):
        pending |= scopes_of(row)
    for row in session.dirty:
        if _changed_beyond_liveness(row):
            pending |= scopes_of(row)


def _bump(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # its hook adds what it writes
    pending = sorted(session.info.pop(_PENDING, None) or ())
    if not pending:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ChangeMark).values([{"scope": s, "version": 1} for s in pending])
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ChangeMark.scope], set_={"version": ChangeMark.version + 1}
        )
    )


def _forget(session: Session, _previous: Any = None) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Hooks every ORM session (once per process): central's and the tests' alike."""
    if event.contains(Session, "after_flush", _collect):
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "before_commit", _bump)
    event.listen(Session, "after_rollback", _forget)
