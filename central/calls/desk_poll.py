"""A desk's poll with nothing new, answered from change marks alone (`If-None-Match` →
`304 Not Modified`), so that thousands of desks polling every 2 s cost the database two
statements each instead of a dozen (issue 36).

The tag a full answer carries says what it was built from: who asked, the chat lines
after which, the call it showed, whether that call's kiosk was connected, and the change
marks (central/calls/change_marks.py) of the official's settings, their queue (or the
interpreters' requests) and that call, read *before* the answer was built. A poll that
brings the tag back is answered 304 while every mark and the kiosk's connection are
unchanged and the tag is younger than `FULL_EVERY_S`: names, agreements and the like,
which no mark counts, are at most that old. The tag (central/calls/poll_tags.py) is signed
with central's secret, so it cannot name another official's marks (which would tell
that their calls changed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central.access.policy import Access
from central.api.deps import secret_key_of, settings_of
from central.calls import change_marks, lifecycle
from central.calls.desk_view import DeskState, official_of, state_for
from central.calls.poll_tags import FULL_EVERY_S, UNKNOWN, PollTag, issued_at
from central.db.engine import commit_liveness
from central.db.models import Call, OfficialProfile, User
from central.db.types import utcnow
from contract.roles import Role


def scopes_for(user: User, call_id: str) -> list[str]:
    """The marks a user's desk state depends on: their settings, what they may take, and
    the call they are in."""
    watched = [change_marks.user_scope(user.id)]
    if user.role == Role.INTERPRETER:
        watched.append(change_marks.PARTIES)
    else:
        watched.append(change_marks.queue_scope(user.org_id))
    if call_id:
        watched.append(change_marks.call_scope(call_id))
    return watched


@dataclass(frozen=True)
class Snapshot:
    """The marks and "still here" times a poll needs, read in one statement."""

    marks: dict[str, int]
    desk_seen: datetime | None
    kiosk_seen: datetime | None
    official_seen: datetime | None
    call_official: str | None


def snapshot(db: Session, user: User, call_id: str) -> Snapshot:
    scopes = scopes_for(user, call_id)
    of_call = (Call.kiosk_seen_at, Call.official_seen_at, Call.official_id)
    row = db.execute(
        select(
            select(OfficialProfile.seen_at)
            .where(OfficialProfile.user_id == user.id)
            .scalar_subquery(),
            # No call: NULLs in their place.
            *(select(column).where(Call.id == call_id).scalar_subquery() for column in of_call),
            *(change_marks.version_of(scope) for scope in scopes),
        )
    ).one()
    desk_seen, kiosk_seen, official_seen, call_official, *versions = row
    marks = {scope: int(version or 0) for scope, version in zip(scopes, versions, strict=True)}
    return Snapshot(marks, desk_seen, kiosk_seen, official_seen, call_official)


def _keep_here(request: Request, db: Session, user: User, seen: Snapshot, call_id: str) -> None:
    """What a full poll writes ("still here"), written the same way by an unchanged one."""
    settings = settings_of(request)
    now = utcnow()
    written = False
    if lifecycle.desk_seen_due(seen.desk_seen, now, settings):
        db.execute(
            update(OfficialProfile).where(OfficialProfile.user_id == user.id).values(seen_at=now)
        )
        written = True
    if (
        call_id
        and seen.call_official == user.id
        and lifecycle.official_seen_due(seen.official_seen, now, settings)
    ):
        db.execute(update(Call).where(Call.id == call_id).values(official_seen_at=now))
        written = True
    commit_liveness(db, written)


def poll(
    request: Request, access: Access, after: int, if_none_match: str | None
) -> tuple[DeskState | None, str]:
    """The desk's state and its tag, or (None, the same tag) when nothing changed since
    the answer that tag came with."""
    secret = secret_key_of(request)
    db = access.db
    me = official_of(access)
    seen = PollTag.decode(secret, "desk", if_none_match)
    if seen is not None and seen.who != me.id:
        seen = None
    call_id = seen.call_id if seen else ""
    now = time.time()
    marks = snapshot(db, me, call_id)
    connected = bool(call_id) and lifecycle.kiosk_connected(marks.kiosk_seen, utcnow())
    if seen is not None and seen.holds(me.id, after, marks.marks, connected, now, FULL_EVERY_S):
        _keep_here(request, db, me, marks, call_id)
        return None, seen.encode(secret)
    state = state_for(request, access, after)
    shown = state.active.id if state.active else ""
    versions = dict(marks.marks)
    if shown != call_id:
        # The desk is in another call than its tag said: that call's mark was not read
        # before the answer was built, so the next poll is answered in full.
        versions.pop(change_marks.call_scope(call_id), None)
        if shown:
            versions[change_marks.call_scope(shown)] = UNKNOWN
    tag = PollTag(
        kind="desk",
        who=me.id,
        after=after,
        issued=issued_at(now, FULL_EVERY_S),
        call_id=shown,
        flag=bool(state.active and state.active.kiosk_connected),
        marks=versions,
    )
    return state, tag.encode(secret)
