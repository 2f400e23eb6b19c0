"""An official's appointments as their desk lists them, and as their calendar feed
carries them (central/desk/feed.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.models import Booking, Call, Service, Site
from central.ptv.services import service_name
from contract.appointments import VisitPlace
from contract.call_api import OPEN_CALL
from contract.kiosk_api import BookingStatus

HELSINKI = ZoneInfo("Europe/Helsinki")
SHOWN = (BookingStatus.BOOKED, BookingStatus.NO_SHOW, BookingStatus.CHECKED_IN)


@dataclass(frozen=True)
class Appointment:
    booking_id: str
    starts_at: datetime
    ends_at: datetime
    service_id: str
    service_name: str
    place: VisitPlace
    site_name: str
    language: str
    interpreter_language: str | None
    name: str
    # booked (not yet here), arrived (checked in at a kiosk, or opened the visit from
    # home), waiting (in the official's queue now), no_show
    state: str


def of_official(
    db: Session, official_id: str, start: datetime, end: datetime, language: str = "fi"
) -> list[Appointment]:
    rows = db.execute(
        select(Booking, Site.name)
        .join(Site, Site.id == Booking.site_id, isouter=True)
        .where(
            Booking.official_id == official_id,
            Booking.calendar_id.is_not(None),
            Booking.status.in_(SHOWN),
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .order_by(Booking.starts_at)
    ).all()
    ids = [b.id for b, _ in rows]
    waiting = (
        set(
            db.scalars(
                select(Call.booking_id).where(Call.booking_id.in_(ids), Call.status.in_(OPEN_CALL))
            )
        )
        if ids
        else set()
    )
    names = {
        s.id: service_name(s.item, language)
        for s in db.scalars(select(Service).where(Service.id.in_({b.service_id for b, _ in rows})))
    }
    out = []
    for booking, site_name in rows:
        if booking.status == BookingStatus.NO_SHOW:
            state = "no_show"
        elif booking.id in waiting:
            state = "waiting"
        elif booking.checked_in_at is not None:
            state = "arrived"
        else:
            state = "booked"
        out.append(
            Appointment(
                booking_id=booking.id,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                service_id=booking.service_id,
                service_name=names.get(booking.service_id, booking.service_id),
                place=VisitPlace(booking.place or VisitPlace.SERVICE_POINT),
                site_name=site_name or "",
                language=booking.language or "",
                interpreter_language=booking.interpreter_language,
                name=booking.display_name,
                state=state,
            )
        )
    return out


def day_range(day: date) -> tuple[datetime, datetime]:
    """A Finnish day, as UTC instants."""
    start = datetime.combine(day, time(), tzinfo=HELSINKI)
    return start, start + timedelta(days=1)
