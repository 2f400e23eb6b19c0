"""Check-ins reported by kiosks, often late (after an offline spell): idempotent by event id."""

from __future__ import annotations

from sqlalchemy.orm import Session

from central.access.policy import Device
from central.catalogue import changes
from central.db.models import Booking, CheckIn
from central.errors import ApiError
from contract import events
from contract.kiosk_api import BookingStatus, CheckInStatus


def check_in(
    db: Session, device: Device, event_id: str, booking_id: str, at_text: str
) -> CheckInStatus:
    """The booking's check-in status; the same event again gives the same answer.

    A booking of another site is "unknown": a kiosk learns nothing of others.
    """
    try:
        at = events.parse_time(at_text)
    except events.InvalidEvent as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    earlier = db.get(CheckIn, event_id)
    if earlier is not None:
        if earlier.kiosk_id != device.kiosk_id or earlier.booking_id != booking_id:
            raise ApiError(409, "conflict", "This event_id was used for another check-in.")
        return earlier.status
    booking = db.get(Booking, booking_id)
    if booking is None or booking.site_id != device.site_id:
        status = CheckInStatus.UNKNOWN
    elif booking.status == BookingStatus.CANCELLED:
        status = CheckInStatus.CANCELLED
    elif booking.checked_in_at is not None:
        status = CheckInStatus.ALREADY_CHECKED_IN
    else:
        status = CheckInStatus.CHECKED_IN
        booking.checked_in_at = at
        if booking.status == BookingStatus.NO_SHOW:
            booking.status = BookingStatus.BOOKED  # came after all (a kiosk told late)
        changes.record(db, [booking.site_id], changes.BOOKING, booking.id, deleted=False)
    db.add(
        CheckIn(
            event_id=event_id,
            kiosk_id=device.kiosk_id,
            booking_id=booking_id,
            at=at,
            status=status,
        )
    )
    db.commit()
    return status
