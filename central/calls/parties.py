"""Interpreters and experts in a call: asked for by the call's official, taken by one
who interprets the language (an interpreter) or by the invited official of another
organisation (an expert: the person named, or one who serves the service named), in
the room until they leave or the call ends.

A party reaches the call (its room, chat and documents) only while joined and the
call active: afterwards everything of it is 404 to them, as to anyone outside it.
Their room token is added to Janus when they join and taken back when they leave.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from central.agreements import rules
from central.calls import change_marks
from central.calls.media_pool import JanusRooms
from central.calls.media_server import MediaServerError, participant_token
from central.db.engine import changed
from central.db.models import Call, CallParty, OfficialProfile, Organisation, Service, User
from central.db.types import utcnow
from central.errors import ApiError
from contract.call_api import OPEN_PARTY, CallStatus, PartyStatus
from contract.roles import Role

RETRY_AFTER_S = 0.3
log = logging.getLogger("central")


def request_interpreter(db: Session, call: Call, language: str) -> CallParty:
    """The official asks for an interpreter of `language`; one open request per language."""
    if call.status != CallStatus.ACTIVE:
        raise ApiError(409, "call_not_active", "Interpreters join active calls only.")
    existing = db.scalar(
        select(CallParty).where(
            CallParty.call_id == call.id,
            CallParty.kind == "interpreter",
            CallParty.language == language,
            CallParty.status.in_(OPEN_PARTY),
        )
    )
    if existing is not None:
        return existing
    party = CallParty(call_id=call.id, kind="interpreter", language=language)
    db.add(party)
    db.flush()
    return party


def invite_expert(
    db: Session,
    call: Call,
    service_id: str | None = None,
    org_id: str | None = None,
    email: str | None = None,
) -> CallParty:
    """The official invites an expert of another organisation: a named official (by their
    email) or whoever serves `service_id` in organisation `org_id`. Only from an
    organisation the official's own has an agreement in force with (either way round),
    or one in the national directory. One open invitation per person or (service,
    organisation).

    An email that is no such organisation's official still gets an invitation, which
    nobody can take: the answer is the same either way, so inviting does not tell
    which addresses belong to officials.
    """
    if call.status != CallStatus.ACTIVE:
        raise ApiError(409, "call_not_active", "Experts join active calls only.")
    if (service_id is None) == (email is None):
        raise ApiError(422, "invalid_input", "Give either service_id or email, not both.")
    partners = rules.partners_of(db, call.provider_id, utcnow())
    wanted: User | None = None
    if email is not None:
        found = db.scalar(select(User).where(User.email == email.strip().lower()))
        if (
            found is not None
            and found.role == Role.OFFICIAL
            and found.disabled_at is None
            and found.org_id in partners
        ):
            wanted = found
        org_id = wanted.org_id if wanted is not None else None
    else:
        if org_id is None:
            raise ApiError(
                422, "invalid_input", "Name the organisation (organisation_id) with the service."
            )
        if db.get(Service, service_id) is None:
            raise ApiError(422, "invalid_input", f"No service {service_id!r} in the catalogue.")
        if org_id == call.provider_id or db.get(Organisation, org_id) is None:
            raise ApiError(
                422, "invalid_input", "organisation_id: another organisation's id is needed."
            )
        if org_id not in partners:
            raise ApiError(
                422,
                "no_agreement",
                "Your organisation has no agreement with that organisation, and it is not "
                "in the national expert directory.",
            )
    if wanted is not None or service_id is not None:
        existing = db.scalar(
            select(CallParty).where(
                CallParty.call_id == call.id,
                CallParty.kind == "expert",
                CallParty.status.in_(OPEN_PARTY),
                CallParty.wanted_user_id == wanted.id
                if wanted is not None
                else (CallParty.service_id == service_id) & (CallParty.org_id == org_id),
            )
        )
        if existing is not None:
            return existing
    party = CallParty(
        call_id=call.id,
        kind="expert",
        service_id=service_id,
        org_id=org_id,
        wanted_user_id=wanted.id if wanted is not None else None,
    )
    db.add(party)
    db.flush()
    return party


def expert_services(db: Session, org_id: str) -> list[tuple[str, str]]:
    """(service id, organisation id) that officials of the organisation's partners (by
    agreement or the national directory) serve: what an official can invite an expert
    for. JSON lists are read here, as in officials_for."""
    partners = rules.partners_of(db, org_id, utcnow())
    if not partners:
        return []
    rows = db.execute(
        select(OfficialProfile.services, User.org_id)
        .join(User, User.id == OfficialProfile.user_id)
        .where(
            User.role == Role.OFFICIAL,
            User.org_id.in_(partners),
            User.disabled_at.is_(None),
        )
        .limit(1000)
    ).all()
    found = {(service, org) for services, org in rows for service in services or [] if org}
    return sorted(found)[:200]


def may_join_as_expert(party: CallParty, call: Call, user: User, profile: OfficialProfile) -> bool:
    """Is this invitation for this official: named, or for a service they serve in the
    organisation the invitation names (never the call's own)."""
    if party.kind != "expert" or user.role != Role.OFFICIAL or user.org_id == call.provider_id:
        return False
    if party.wanted_user_id is not None:
        return party.wanted_user_id == user.id
    if party.service_id is None or party.org_id is None:
        return False  # an invitation by an address that is no official's
    return party.org_id == user.org_id and party.service_id in (profile.services or [])


def invitations_for(
    db: Session, user: User, profile: OfficialProfile
) -> list[tuple[CallParty, Call]]:
    """Open expert invitations this official may take, oldest first."""
    rows = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(
            CallParty.kind == "expert",
            CallParty.status == PartyStatus.REQUESTED,
            Call.status == CallStatus.ACTIVE,
            Call.provider_id != user.org_id,
        )
        .order_by(CallParty.requested_at)
        .limit(200)
    ).all()
    return [(party, call) for party, call in rows if may_join_as_expert(party, call, user, profile)]


def interprets(db: Session, user: User) -> bool:
    """An interpreter of an organisation the national admin marked an interpretation
    service: nobody else sees or takes interpretation requests."""
    org = db.get(Organisation, user.org_id) if user.org_id else None
    return user.role == Role.INTERPRETER and org is not None and bool(org.interpretation_service)


def interpreting_agreement(db: Session, user: User, party: CallParty, call: Call) -> str | None:
    """An interpreter of an interpretation service interprets a call only for an
    organisation (the call's provider) with an interpretation agreement in force with
    the service, in a language it names: that agreement's id, or None."""
    if not interprets(db, user) or user.org_id is None:
        return None
    return rules.interpretation_agreement(
        db, user.org_id, call.provider_id, party.language or "", utcnow()
    )


def requests_for(db: Session, user: User, profile: OfficialProfile) -> list[tuple[CallParty, Call]]:
    """Open interpreter requests in the interpreter's languages from the organisations
    their service has an interpretation agreement with, oldest first."""
    languages = list(profile.languages or [])
    if not languages or not interprets(db, user) or user.org_id is None:
        return []
    clients = rules.interprets_for(db, user.org_id, utcnow())
    if not clients:
        return []
    rows = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(
            CallParty.kind == "interpreter",
            CallParty.status == PartyStatus.REQUESTED,
            CallParty.language.in_(languages),
            Call.status == CallStatus.ACTIVE,
            Call.provider_id.in_(list(clients)),
        )
        .order_by(CallParty.requested_at)
        .limit(50)
    ).all()
    return [(party, call) for party, call in rows if party.language in clients[call.provider_id]]


def joined_party(db: Session, call_id: str, user_id: str) -> CallParty | None:
    return db.scalar(
        select(CallParty).where(
            CallParty.call_id == call_id,
            CallParty.user_id == user_id,
            CallParty.status == PartyStatus.JOINED,
        )
    )


def active_party_of(db: Session, user_id: str) -> tuple[CallParty, Call] | None:
    """The call an interpreter or expert is in now, if any."""
    row = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(
            CallParty.user_id == user_id,
            CallParty.status == PartyStatus.JOINED,
            Call.status == CallStatus.ACTIVE,
        )
    ).first()
    return (row[0], row[1]) if row else None


def in_a_call(db: Session, user_id: str) -> bool:
    """In an active call: their own as its official, or another's as a party."""
    own = db.scalar(
        select(Call.id).where(Call.official_id == user_id, Call.status == CallStatus.ACTIVE)
    )
    return own is not None or active_party_of(db, user_id) is not None


def ever_joined(db: Session, call_id: str) -> list[tuple[CallParty, str]]:
    """(party, their organisation's name) of everyone who has joined the call."""
    rows = db.execute(
        select(CallParty, Organisation.name)
        .join(Organisation, Organisation.id == CallParty.org_id, isouter=True)
        .where(CallParty.call_id == call_id, CallParty.joined_at.is_not(None))
        .order_by(CallParty.joined_at)
    ).all()
    return [(party, name or "") for party, name in rows]


def take(
    db: Session,
    party: CallParty,
    user: User,
    rooms: JanusRooms,
    agreement_id: str | None = None,
) -> Call:
    """An interpreter or expert takes a request: claimed atomically (two at once: one gets
    409), then let into the room. `agreement_id`: the interpretation agreement their
    time counts on."""
    call = db.get(Call, party.call_id)
    if call is None or call.status != CallStatus.ACTIVE:
        raise ApiError(409, "call_not_active", "That call has ended.")
    if in_a_call(db, user.id):
        raise ApiError(409, "in_a_call", "Leave your current call first.")
    now = utcnow()
    claimed = changed(
        db,
        update(CallParty)
        .where(CallParty.id == party.id, CallParty.status == PartyStatus.REQUESTED)
        .values(
            status=PartyStatus.JOINED,
            user_id=user.id,
            org_id=user.org_id,
            joined_at=now,
            agreement_id=agreement_id,
        ),
    )
    if claimed != 1:
        db.rollback()
        raise ApiError(409, "request_taken", "Someone else took this request.")
    db.flush()
    change_marks.touch(db, *change_marks.scopes_of(party), change_marks.queue_scope(user.org_id))
    db.refresh(party)
    if rooms.configured and call.room:
        try:
            rooms.let_in(call, participant_token(rooms.secret, call.id, user.id))
        except MediaServerError as exc:
            db.rollback()
            raise ApiError(503, "media_server_unavailable", str(exc)) from exc
    return call


def leave(
    db: Session,
    party: CallParty,
    rooms: JanusRooms,
    when: datetime | None = None,
    room_closing: bool = False,
) -> None:
    """The party leaves (or the call ended): out of the room, and out of the call's data.

    Their token is taken out of Janus and their Janus sessions destroyed before this
    returns where Janus answers; where it does not, `room_left` stays false and
    `revoke_left` tries again until Janus confirms. `room_closing`: the call ends and
    destroying its room does all of it.
    """
    if party.status not in OPEN_PARTY:
        return
    was_joined = party.status == PartyStatus.JOINED
    party.status = PartyStatus.LEFT if was_joined else PartyStatus.CANCELLED
    party.left_at = when or utcnow()
    call = db.get(Call, party.call_id)
    if not was_joined or room_closing or not party.user_id or call is None or not call.room:
        return
    party.room_left = False
    if rooms.configured:
        _send_away(db, party, call, rooms, tries=2)


def _send_away(db: Session, party: CallParty, call: Call, rooms: JanusRooms, tries: int) -> bool:
    for attempt in range(tries):
        try:
            rooms.send_away(call, participant_token(rooms.secret, call.id, party.user_id or ""))
        except MediaServerError as exc:
            log.warning(
                "taking a departed party's token back failed (try %d): %s", attempt + 1, exc
            )
            if attempt + 1 < tries:
                time.sleep(RETRY_AFTER_S * (attempt + 1))
            continue
        party.room_left = True
        return True
    return False


def revoke_left(db: Session, rooms: JanusRooms) -> int:
    """Departed parties whose token Janus has not yet confirmed taken back: again now.
    Run every few seconds by `central/calls/media_cleanup.py`; stops at the first
    failure (Janus is down: the next pass tries again)."""
    done = 0
    pending = db.execute(
        select(CallParty, Call)
        .join(Call, Call.id == CallParty.call_id)
        .where(CallParty.room_left.is_(False))
        .limit(50)
    ).all()
    for party, call in pending:
        if call.status != CallStatus.ACTIVE:
            party.room_left = True  # the room went with the call (`close_left_rooms`)
        elif not _send_away(db, party, call, rooms, tries=1):
            break
        done += 1
    db.commit()
    return done


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
        select(CallParty).where(CallParty.call_id == call.id, CallParty.status.in_(OPEN_PARTY))
    ):
        leave(db, party, rooms, call.ended_at, room_closing=True)
