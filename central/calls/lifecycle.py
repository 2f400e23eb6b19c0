"""A call's life: requested by a kiosk, queued, accepted by an official, ended.

Both sides poll (the desk every 2 s, the kiosk every 1-2 s); each poll says
"still here". A queued citizen whose kiosk stops asking has left the queue;
an official whose desk stops asking is away. `sweep` ends the quiet calls: a periodic
job, once across central instances; a restart loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from central.background import Every
from central.calls import change_marks, parties, queue
from central.calls.media_pool import JanusRooms
from central.calls.media_server import MediaServerError, new_room_id, participant_token
from central.db.engine import changed
from central.db.models import Booking, Call, OfficialProfile, User
from central.db.types import utcnow
from central.errors import ApiError
from central.recent import Recent
from central.settings import Settings
from contract.call_api import CallOutcome, CallStatus
from contract.roles import Role

PRESENCES = ("available", "away")
# What a call is expected to take before this service has history of its own.
DEFAULT_CALL_S = 300.0
KIOSK = "kiosk"

log = logging.getLogger("central")


@dataclass(frozen=True)
class QueuePlace:
    position: int  # 1: next to be served
    estimated_wait_s: int
    officials_available: int
    officials_busy: int


def profile_of(db: Session, user_id: str) -> OfficialProfile:
    found = db.get(OfficialProfile, user_id)
    if found is None:
        found = OfficialProfile(user_id=user_id, services=[], languages=[], presence="away")
        db.add(found)
        db.flush()
    return found


def _live_after(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(seconds=settings.desk_gone_after_s)


def officials_for(
    db: Session, org_id: str, service_id: str, language: str, settings: Settings, now: datetime
) -> tuple[list[str], list[str]]:
    """(free, busy) officials of the organisation (a call's provider) who serve this
    service in this language.

    Free: available, desk open, not in a call. JSON lists are filtered here, not in
    SQL, so SQLite and PostgreSQL behave the same; an organisation has few officials.
    """
    rows = db.execute(
        select(
            User.id,
            OfficialProfile.services,
            OfficialProfile.languages,
            OfficialProfile.presence,
            OfficialProfile.seen_at,
        )
        .join(OfficialProfile, OfficialProfile.user_id == User.id)
        .where(User.org_id == org_id, User.role == Role.OFFICIAL, User.disabled_at.is_(None))
    ).all()
    in_call = set(
        db.scalars(
            select(Call.official_id).where(
                Call.provider_id == org_id, Call.status == CallStatus.ACTIVE
            )
        )
    )
    live_after = _live_after(settings, now)
    free, busy = [], []
    for row in rows:
        if service_id not in (row.services or []) or language not in (row.languages or []):
            continue
        if row.id in in_call:
            busy.append(row.id)
        elif row.presence == "available" and row.seen_at and row.seen_at >= live_after:
            free.append(row.id)
    return free, busy


# The desk shows the citizen's side connected while it asked within this many seconds.
KIOSK_CONNECTED_S = 5.0


def kiosk_connected(seen: datetime | None, now: datetime) -> bool:
    return seen is not None and (now - seen).total_seconds() <= KIOSK_CONNECTED_S


def official_connected(call: Call, settings: Settings, now: datetime) -> bool:
    """What the citizen's side shows: the official's desk asked within half of
    `desk_gone_after_s`."""
    seen = call.official_seen_at
    return bool(seen and (now - seen).total_seconds() <= settings.desk_gone_after_s / 2)


def official_gone(call: Call, settings: Settings, now: datetime) -> bool:
    """An active call whose official has been silent so long that it ends."""
    seen = call.official_seen_at
    return (
        call.status == CallStatus.ACTIVE
        and seen is not None
        and (now - seen).total_seconds() > settings.call_official_gone_end_after_s
    )


def desk_seen_due(seen: datetime | None, now: datetime, settings: Settings) -> bool:
    """Whether a desk's poll writes the official's "still here" (their presence) again."""
    return liveness_due(seen, now, settings.desk_gone_after_s)


def official_seen_due(seen: datetime | None, now: datetime, settings: Settings) -> bool:
    """Whether it writes the official's "still here" on their call again: read against half
    of `desk_gone_after_s` (`official_connected`)."""
    return liveness_due(seen, now, settings.desk_gone_after_s / 2)


def liveness_due(seen: datetime | None, now: datetime, limit_s: float) -> bool:
    """Whether a "still here" time must be written again: once a quarter of the limit it is
    read against has passed. A desk polls every 2 s and a kiosk every second; writing each
    poll was most of the database's work, and a time at most a quarter of its limit old
    decides the same."""
    return seen is None or (now - seen).total_seconds() >= limit_s / 4


def presence_of(
    db: Session, user_id: str, settings: Settings, now: datetime, in_call: bool | None = None
) -> str:
    """available, busy (in a call) or away (chose so, or the desk is closed). `in_call`:
    when the caller has just looked it up."""
    if parties.in_a_call(db, user_id) if in_call is None else in_call:
        return "busy"
    found = db.get(OfficialProfile, user_id)
    if found is None or found.presence != "available" or found.seen_at is None:
        return "away"
    return "available" if found.seen_at >= _live_after(settings, now) else "away"


def average_call_s(db: Session, org_id: str, service_id: str) -> float:
    """How long the provider's last 20 calls of this service took, on average (at least
    a minute)."""
    rows = db.execute(
        select(Call.accepted_at, Call.ended_at)
        .where(
            Call.provider_id == org_id,
            Call.service_id == service_id,
            Call.accepted_at.is_not(None),
            Call.ended_at.is_not(None),
        )
        .order_by(Call.ended_at.desc())
        .limit(20)
    ).all()
    if not rows:
        return DEFAULT_CALL_S
    total: float = sum((row.ended_at - row.accepted_at).total_seconds() for row in rows)
    return max(60.0, total / len(rows))


def place_for(
    db: Session,
    provider_id: str,
    service_id: str,
    language: str,
    settings: Settings,
    now: datetime,
    queued_before: datetime | None = None,
) -> QueuePlace:
    """Where a citizen stands: behind every call of the service and language queued
    before `queued_before` (None: a newcomer, behind all of them)."""
    return _place(
        queue.ahead_of(db, provider_id, service_id, language, queued_before),
        _staffing(db, provider_id, service_id, language, settings, now),
    )


@dataclass(frozen=True)
class Staffing:
    """Who serves a service and language now, and how long its calls take."""

    free: int
    busy: int
    average_call_s: float


def _staffing(
    db: Session, provider_id: str, service_id: str, language: str, settings: Settings, now: datetime
) -> Staffing:
    free, busy = officials_for(db, provider_id, service_id, language, settings, now)
    return Staffing(len(free), len(busy), average_call_s(db, provider_id, service_id))


def _place(ahead: int, staffing: Staffing) -> QueuePlace:
    serving = max(1, staffing.free + staffing.busy)
    waiting_turns = max(0, ahead + 1 - staffing.free)
    wait = waiting_turns * staffing.average_call_s / serving
    return QueuePlace(ahead + 1, int(wait), staffing.free, staffing.busy)


# A queued kiosk asks every second or two, and each staffing read goes through every
# official of the provider: one read per provider, service and language every few
# seconds serves them all (an estimate that old is still an estimate).
_RECENT_STAFFING: Recent[tuple[str, str, str], Staffing] = Recent(ttl_s=3.0)


def queue_place(db: Session, call: Call, settings: Settings, now: datetime) -> QueuePlace:
    """A queued call's place: its position exact, its estimate from staffing read at most
    a few seconds ago."""
    key = (call.provider_id, call.service_id, call.language)
    staffing = _RECENT_STAFFING.get(
        key,
        lambda: _staffing(db, call.provider_id, call.service_id, call.language, settings, now),
    )
    ahead = queue.ahead_of(db, call.provider_id, call.service_id, call.language, call.created_at)
    return _place(ahead, staffing)


def quiet_since(settings: Settings, now: datetime) -> datetime:
    """A queued call whose kiosk has not asked since then has left the queue."""
    return now - timedelta(seconds=settings.call_kiosk_gone_after_s)


def silent_outcome(call: Call, settings: Settings, now: datetime) -> CallOutcome | None:
    """How a call whose kiosk went quiet ends, if it has: a queued one after
    `call_kiosk_gone_after_s`, an active one after ten times as long (power lost)."""
    seen = call.kiosk_seen_at
    if seen is None:
        return None
    if call.status == CallStatus.QUEUED and seen < quiet_since(settings, now):
        return CallOutcome.LEFT_QUEUE
    long_gone = now - timedelta(seconds=settings.call_kiosk_gone_after_s * 10)
    if call.status == CallStatus.ACTIVE and seen < long_gone:
        return CallOutcome.KIOSK_LOST
    return None


def sweep(db: Session, settings: Settings, rooms: JanusRooms, now: datetime) -> int:
    """Ends the calls whose kiosk went quiet; lets their rooms go. A periodic job (once
    across central instances): desks leave quiet calls out of their lists meanwhile, and
    a kiosk's own poll ends its quiet call first (`silent_outcome`)."""
    stale = db.scalars(
        select(Call).where(
            Call.status.in_([CallStatus.QUEUED, CallStatus.ACTIVE]),
            Call.kiosk_seen_at < quiet_since(settings, now),
        )
    ).all()
    ended = 0
    for call in stale:
        outcome = silent_outcome(call, settings, now)
        if outcome is not None:
            finish(db, call, outcome, rooms)
            ended += 1
    db.commit()
    return ended


def sweeper(sessions: sessionmaker[Session], rooms: JanusRooms, settings: Settings) -> Every:
    def once() -> None:
        with sessions() as db:
            ended = sweep(db, settings, rooms, utcnow())
        if ended:
            log.info("calls: %d ended as their kiosks went quiet", ended)

    return Every(
        "calls-sweep",
        max(1.0, settings.call_kiosk_gone_after_s / 4),
        once,
        sessions=sessions,
        instance=settings.instance_name,
    )


def participants(call: Call) -> list[str]:
    return [KIOSK] + ([call.official_id] if call.official_id else [])


def tokens(db: Session, secret: bytes, call: Call) -> list[str]:
    """Every token of the call: kiosk, official, and the interpreters who joined."""
    base = [participant_token(secret, call.id, who) for who in participants(call)]
    return base + parties.tokens_of(db, secret, call)


def accept(db: Session, call: Call, official: User, rooms: JanusRooms) -> Call:
    """The official takes the call: claimed atomically, so two officials never both get it.
    The same official may take their active call again (resume after a lost tab)."""
    if call.status == CallStatus.ACTIVE and call.official_id == official.id:
        return call
    if call.status != CallStatus.QUEUED:
        raise ApiError(409, "call_taken", "This call is no longer waiting.")
    if parties.in_a_call(db, official.id):
        raise ApiError(409, "in_a_call", "End or leave your current call first.")
    now = utcnow()
    claimed = changed(
        db,
        update(Call)
        .where(Call.id == call.id, Call.status == CallStatus.QUEUED)
        .values(
            status=CallStatus.ACTIVE,
            official_id=official.id,
            accepted_at=now,
            official_seen_at=now,
            room=new_room_id(),
        ),
    )
    if claimed != 1:
        db.rollback()
        raise ApiError(409, "call_taken", "Another official took this call.")
    change_marks.touch(db, *change_marks.scopes_of(call))  # a bulk update: say so
    db.flush()
    db.refresh(call)
    try:
        call.media_server = rooms.place(db)  # the least loaded Janus that answers
        rooms.open_room(call, tokens(db, rooms.secret, call))
    except MediaServerError as exc:
        db.rollback()  # back in the queue: the citizen waits on
        raise ApiError(
            503, "media_unavailable", f"The video service cannot start the call now: {exc}"
        ) from exc
    booking = db.get(Booking, call.booking_id) if call.booking_id else None
    if booking is not None and booking.interpreter_language:
        # Booked with an interpreter: interpreters of the language see the call at once.
        parties.request_interpreter(db, call, booking.interpreter_language)
    db.commit()
    return call


def finish(db: Session, call: Call, outcome: CallOutcome, rooms: JanusRooms) -> None:
    """Ends an open call; its room and the tokens for it go at once. Idempotent."""
    if call.status == CallStatus.ENDED:
        return
    was_active = call.status == CallStatus.ACTIVE
    call.status = CallStatus.ENDED
    call.outcome = outcome
    call.ended_at = utcnow()
    parties.end_all(db, call, rooms)
    if was_active and rooms.configured and call.room:
        try:
            rooms.close_room(call, tokens(db, rooms.secret, call))
            call.room_closed = True
        except MediaServerError:
            call.room_closed = False  # retried by `close_left_rooms`
    else:
        call.room_closed = True


def close_left_rooms(db: Session, rooms: JanusRooms) -> int:
    """Rooms of ended calls that Janus could not close then (it was down): close them now."""
    closed = 0
    for call in db.scalars(
        select(Call)
        .where(Call.status == CallStatus.ENDED, Call.room_closed.is_(False), Call.room.is_not(None))
        .limit(50)
    ):
        try:
            rooms.close_room(call, tokens(db, rooms.secret, call))
        except MediaServerError:
            break
        call.room_closed = True
        closed += 1
    db.commit()
    return closed
