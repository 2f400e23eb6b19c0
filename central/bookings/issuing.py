"""Giving a new booking its code and sealed name: one way for bookings pushed by booking
systems (`central/api/bookings.py`) and for video appointments (`central/appointments/`)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from central.bookings import codes
from central.db.models import Booking
from central.errors import ApiError
from contract import codes as contract_codes
from contract.kiosk_api import BookingStatus

# Codes that no longer stand for a booking: the same code may be given again.
ENDED = (BookingStatus.CANCELLED,)
ANYWHERE = "anywhere"  # the scope of `any_lookup`: every site and the web


def give_code(
    db: Session,
    secret: bytes,
    booking: Booking,
    card_id: str | None = None,
    moved_from: Booking | None = None,
) -> str:
    """Pick the first nonce whose derived code no live booking of the site has, seal the
    booking's name with it, and hash it for kiosks; returns the plain code (never stored).

    A video appointment (it has a calendar) is also found by its code anywhere, for
    cancelling or changing it at any kiosk or on the web, so its code is unique among
    all live appointments too. `moved_from`: the booking this one replaces keeps
    checking the citizen in by the card they gave then (central never had the card's
    number to hash again, so its salt and hash are carried over)."""
    anywhere = booking.calendar_id is not None
    for nonce in range(20):
        code = codes.derive_code(secret, booking.id, nonce)
        lookup = codes.code_lookup(secret, booking.site_id or ANYWHERE, code)
        any_lookup = codes.code_lookup(secret, ANYWHERE, code) if anywhere else None
        same_site = (
            Booking.site_id == booking.site_id if booking.site_id else Booking.site_id.is_(None)
        )
        clashes = [and_(same_site, or_(Booking.code_lookup == lookup, Booking.code == code))]
        if any_lookup is not None:
            clashes.append(Booking.any_lookup == any_lookup)
        taken = db.scalar(
            select(Booking.id).where(
                Booking.id != booking.id, or_(*clashes), Booking.status.not_in(ENDED)
            )
        )
        if taken is None:
            booking.code_nonce, booking.code_lookup = nonce, lookup
            booking.any_lookup = any_lookup
            _seal(booking, code, card_id, moved_from)
            return code
    raise ApiError(409, "conflict", "Could not find a free booking code; try again.")


def _seal(booking: Booking, code: str, card_id: str | None, moved_from: Booking | None) -> None:
    carried = (
        moved_from
        if moved_from is not None
        and not card_id
        and moved_from.card_hash is not None
        and moved_from.hash_salt is not None
        and moved_from.display_name == booking.display_name
        else None
    )
    salt, algorithm = codes.new_salt(), contract_codes.CURRENT
    if carried is not None and carried.hash_salt is not None:
        salt, algorithm = carried.hash_salt, carried.hash_alg
    booking.hash_salt, booking.hash_alg = salt, algorithm
    booking.code_hash = contract_codes.booking_code_hash(code, salt, algorithm)
    booking.name_sealed_code = contract_codes.seal_name(booking.display_name, code, salt)
    if carried is not None:
        booking.card_hash, booking.name_sealed_card = (
            carried.card_hash,
            carried.name_sealed_card,
        )
    elif card_id:
        booking.card_hash = contract_codes.card_hash(card_id, salt, algorithm)
        booking.name_sealed_card = contract_codes.seal_name(booking.display_name, card_id, salt)


def plain_code(secret: bytes, booking: Booking) -> str:
    """The booking's code: stored only for bookings made before codes were derived."""
    return booking.code or codes.derive_code(secret, booking.id, booking.code_nonce)


def find_anywhere(db: Session, secret: bytes, code: str) -> Booking | None:
    """A video appointment by its code, wherever it is (None: no such live booking)."""
    lookup = codes.code_lookup(secret, ANYWHERE, code)
    return db.scalar(
        select(Booking).where(Booking.any_lookup == lookup, Booking.status.not_in(ENDED))
    )
