"""Interpreters in a call: asked for by the call's official, taken by one who interprets
the language, in the room until they leave or the call ends.

A party reaches the call (its room, chat and documents) only while joined and the
call active: afterwards everything of it is 404 to them, as to anyone outside it.
Their room token is added to Janus when they join and taken back when they leave.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central.calls.media_server import JanusRooms, MediaServerError, participant_token
from central.db.models import Call, CallParty, OfficialProfile, User
from central.db.types import utcnow
from central.errors import ApiError

OPEN = ("requested", "joined")


def request_interpreter(db: Session, call: Call, language: str) -> CallParty:
    """The official asks for an interpreter of `language`; one open request per language."""
    if call.status != "active":
        raise ApiError(409, "call_not_active", "Interpreters join active calls only.")
    existing = db.scalar(
        select(CallParty).where(
            CallParty.call_id == call.id,
            CallParty.kind == "interpreter",
            CallParty.language == language,
            CallParty.status.in_(OPEN),
        )
    )
    if existing is not None:
        return existing
    party = CallParty(call_id=call.id, kind="interpreter", language=language)
    db.add(party)
    db.flush()
    return party


def requests_for(db: Session, profile: OfficialProfile) -> list[tuple[CallParty, Call]]:
    """Open interpreter requests in the interpreter's languages, oldest first."""
    languages = list(profile.languages or [])
    if not languages:
        return []
    rows = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(
            CallParty.kind == "interpreter",
            CallParty.status == "requested",
            CallParty.language.in_(languages),
            Call.status == "active",
        )
        .order_by(CallParty.requested_at)
        .limit(50)
    ).all()
    return [(party, call) for party, call in rows]


def joined_party(db: Session, call_id: str, user_id: str) -> CallParty | None:
    return db.scalar(
        select(CallParty).where(
            CallParty.call_id == call_id,
            CallParty.user_id == user_id,
            CallParty.status == "joined",
        )
    )


def active_party_of(db: Session, user_id: str) -> tuple[CallParty, Call] | None:
    """The call an interpreter is in now, if any."""
    row = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(CallParty.user_id == user_id, CallParty.status == "joined", Call.status == "active")
    ).first()
    return (row[0], row[1]) if row else None


def joined(db: Session, call_id: str) -> list[CallParty]:
    return list(
        db.scalars(
            select(CallParty)
            .where(CallParty.call_id == call_id, CallParty.status == "joined")
            .order_by(CallParty.joined_at)
        )
    )


def take(db: Session, party: CallParty, user: User, rooms: JanusRooms) -> Call:
    """An interpreter takes a request: claimed atomically (two interpreters: one gets 409),
    then let into the room."""
    call = db.get(Call, party.call_id)
    if call is None or call.status != "active":
        raise ApiError(409, "call_not_active", "That call has ended.")
    if active_party_of(db, user.id) is not None:
        raise ApiError(409, "in_a_call", "Leave your current call first.")
    now = utcnow()
    claimed = db.execute(
        update(CallParty)
        .where(CallParty.id == party.id, CallParty.status == "requested")
        .values(status="joined", user_id=user.id, org_id=user.org_id, joined_at=now)
    ).rowcount
    if claimed != 1:
        db.rollback()
        raise ApiError(409, "request_taken", "Another interpreter took this request.")
    db.flush()
    db.refresh(party)
    if rooms.configured and call.room:
        try:
            rooms.let_in(call.room, participant_token(rooms.secret, call.id, user.id))
        except MediaServerError as exc:
            db.rollback()
            raise ApiError(503, "media_server_unavailable", str(exc)) from exc
    return call


def leave(db: Session, party: CallParty, rooms: JanusRooms, when: datetime | None = None) -> None:
    """The party leaves (or the call ended): out of the room, and out of the call's data."""
    if party.status not in OPEN:
        return
    was_joined = party.status == "joined"
    party.status = "left" if was_joined else "cancelled"
    party.left_at = when or utcnow()
    call = db.get(Call, party.call_id)
    if was_joined and party.user_id and call is not None and call.room and rooms.configured:
        try:
            rooms.send_away(call.room, participant_token(rooms.secret, call.id, party.user_id))
        except MediaServerError:
            pass  # the room goes with the call at the latest; its tokens with it


def tokens_of(db: Session, secret: bytes, call: Call) -> list[str]:
    """Tokens of everyone who ever joined (taken back when the room closes)."""
    users = db.scalars(
        select(CallParty.user_id).where(
            CallParty.call_id == call.id, CallParty.user_id.is_not(None)
        )
    )
    return [participant_token(secret, call.id, user_id) for user_id in users if user_id]


def end_all(db: Session, call: Call, rooms: JanusRooms) -> None:
    for party in db.scalars(
        select(CallParty).where(CallParty.call_id == call.id, CallParty.status.in_(OPEN))
    ):
        leave(db, party, rooms, call.ended_at)
