"""Appointments nobody came to: a booked time whose citizen had not checked in (at a
kiosk, or by opening the visit from home) by the grace time after its start becomes a
no-show, counted in the reports. Held bookings whose proof never came are let go."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from central.appointments.booking import release_expired_holds
from central.background import Every
from central.db.engine import changed
from central.db.models import Booking
from central.db.types import utcnow
from central.settings import Settings
from contract.kiosk_api import BookingStatus

log = logging.getLogger("central.appointments")


def mark(db: Session, now: datetime, grace: timedelta) -> int:
    """Booked video appointments past `grace` after their start without a check-in."""
    marked = changed(
        db,
        update(Booking)
        .where(
            Booking.calendar_id.is_not(None),
            Booking.status == BookingStatus.BOOKED,
            Booking.checked_in_at.is_(None),
            Booking.starts_at < now - grace,
        )
        .values(status=BookingStatus.NO_SHOW),
    )
    db.commit()
    return marked


def runner(sessions: sessionmaker[Session], settings: Settings) -> Every:
    grace = timedelta(minutes=settings.appointment_no_show_after_min)

    def once() -> None:
        with sessions() as db:
            now = utcnow()
            marked = mark(db, now, grace)
            released = release_expired_holds(db, now)
        if marked or released:
            log.info("appointments: %d no-shows marked, %d holds let go", marked, released)

    return Every(
        "appointments",
        settings.appointment_check_every_s,
        once,
        sessions=sessions,
        instance=settings.instance_name,
    )
