"""Booking a free time, cancelling and changing it.

A time goes to the first official offering it whose grid steps are all still free: each
step is a `SlotClaim` row whose primary key is (official, minute), so of any number of
concurrent attempts on one official's time exactly one inserts its rows, on SQLite and
PostgreSQL alike; the others try the next official or hear that the time was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.appointments.slots import Search, Slot, Wanted, search
from central.bookings import issuing
from central.catalogue import changes
from central.db.models import Booking, Site, SlotClaim, new_id
from central.errors import ApiError
from contract.appointments import GRID_MINUTES, BookingChannel, VisitPlace
from contract.kiosk_api import BookingStatus

HOLD_MINUTES = 10  # a web booking's time is held this long for the e-mail's proof
# An address a confirmation can go to: one @, a dot in the domain, no spaces (the mail
# server has the last word; this catches typing slips before a time is held).
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
MAX_EMAIL = 254


@dataclass(frozen=True)
class Citizen:
    name: str
    email: str | None = None
    interpreter_language: str | None = None
    # The citizen's card (its UID in hex), for check-in by card: only its hash is kept.
    card_id: str | None = None


@dataclass(frozen=True)
class Booked:
    booking: Booking
    code: str  # the plain code: shown or sent once, never stored


def taken() -> ApiError:
    return ApiError(409, "slot_taken", "That time was just taken. Please choose another.")


def book(
    db: Session,
    secret: bytes,
    wanted: Wanted,
    starts_at: datetime,
    citizen: Citizen,
    channel: BookingChannel,
    now: datetime,
    hold: bool = False,
) -> Booked:
    """Book `starts_at` for `wanted`; commits. `hold`: the booking waits for the e-mail's
    proof (HELD until `confirm`), its time kept for HOLD_MINUTES meanwhile."""
    release_expired_holds(db, now)
    found = search(db, wanted, now)
    return _book_one(db, secret, found, found.at(starts_at), citizen, channel, now, hold)


def _book_one(
    db: Session,
    secret: bytes,
    found: Search,
    candidates: list[Slot],
    citizen: Citizen,
    channel: BookingChannel,
    now: datetime,
    hold: bool,
    moved_from: Booking | None = None,
) -> Booked:
    wanted = found.wanted
    for slot in candidates:
        booking = Booking(
            id=new_id(),
            org_id=slot.org_id,
            external_id=f"appointment:{new_id()}",
            site_id=wanted.site_id if wanted.place == VisitPlace.SERVICE_POINT else None,
            service_id=wanted.service_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            display_name=citizen.name.strip()[:60],
            mode="remote",
            official_id=slot.official_id,
            interpreter_language=citizen.interpreter_language,
            calendar_id=slot.calendar_id,
            channel=channel,
            place=wanted.place,
            language=wanted.language,
            contact_email=citizen.email,
            status=BookingStatus.HELD if hold else BookingStatus.BOOKED,
            hold_until=now + timedelta(minutes=HOLD_MINUTES) if hold else None,
        )
        code = issuing.give_code(db, secret, booking, citizen.card_id, moved_from)
        try:
            with db.begin_nested():
                db.add(booking)
                db.flush()
                db.add_all(
                    SlotClaim(official_id=slot.official_id, at=at, booking_id=booking.id)
                    for at in grid(slot.starts_at, slot.ends_at)
                )
                db.flush()
        except IntegrityError:
            continue  # this official's time went to someone else a moment ago
        if not hold:
            _tell_kiosks(db, booking, deleted=False)
        db.commit()
        return Booked(booking, code)
    db.rollback()
    raise taken()


def grid(start: datetime, end: datetime) -> list[datetime]:
    step = timedelta(minutes=GRID_MINUTES)
    return [start + step * n for n in range(int((end - start) / step))]


def confirm(db: Session, booking: Booking, now: datetime) -> bool:
    """The e-mail's link was opened in time: the held booking is booked (True). A hold
    that ran out was released, and its time may be someone else's (False)."""
    if booking.status == BookingStatus.BOOKED:
        return True
    if booking.status != BookingStatus.HELD or booking.hold_until is None:
        return False
    if booking.hold_until < now:
        release(db, booking)
        db.commit()
        return False
    booking.status, booking.hold_until = BookingStatus.BOOKED, None
    _tell_kiosks(db, booking, deleted=False)
    db.commit()
    return True


def cancel(db: Session, booking: Booking) -> None:
    """Cancelled: the time is free again at once; kiosks forget it. Commits."""
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        return
    was_visible = booking.status != BookingStatus.HELD
    release(db, booking)
    if was_visible:
        _tell_kiosks(db, booking, deleted=True)
    db.commit()


def release(db: Session, booking: Booking) -> None:
    booking.status, booking.hold_until = BookingStatus.CANCELLED, None
    db.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))


def change(
    db: Session,
    secret: bytes,
    booking: Booking,
    wanted: Wanted,
    starts_at: datetime,
    now: datetime,
) -> Booked:
    """Move a booking to another free time: a new booking (and code) is made first, and
    only then the old one cancelled, so a change never leaves the citizen with nothing.
    The card it was made with checks the citizen in at the new time too."""
    citizen = Citizen(booking.display_name, booking.contact_email, booking.interpreter_language)
    found = search(db, wanted, now)
    new = _book_one(
        db, secret, found, found.at(starts_at), citizen, booking.channel, now, False, booking
    )
    cancel(db, booking)
    return new


def release_expired_holds(db: Session, now: datetime) -> int:
    """Held bookings whose proof never came: cancelled and their time freed."""
    expired = db.scalars(
        select(Booking.id).where(
            and_(Booking.status == BookingStatus.HELD, Booking.hold_until < now)
        )
    ).all()
    if expired:
        db.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(expired)))
        db.execute(
            update(Booking)
            .where(Booking.id.in_(expired))
            .values(status=BookingStatus.CANCELLED, hold_until=None)
        )
        db.commit()
    return len(expired)


def _tell_kiosks(db: Session, booking: Booking, deleted: bool) -> None:
    if booking.site_id is None:
        return
    changes.record(db, [booking.site_id], changes.BOOKING, booking.id, deleted=deleted)
    site = db.get(Site, booking.site_id)
    if site is not None:
        changes.prune(db, site)
