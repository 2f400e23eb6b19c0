"""Bookings counted for reports: made, cancelled, no-shows and arrivals, by channel
(kiosk, web, booking system) and place (service point, home). Counts only: never who."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from central.db.models import Booking, Site
from contract.appointments import BookingChannel, VisitPlace
from contract.kiosk_api import BookingStatus


def scope(org_id: str | None, side: str) -> list[ColumnElement[bool]]:
    """Whose bookings: a provider's (its officials' times, wherever), a host's (at its
    service points), or (None) everyone's. `side` "any" is both of an organisation's."""
    if org_id is None:
        return []
    at_its_sites = Booking.site_id.in_(select(Site.id).where(Site.org_id == org_id))
    if side == "provider":
        return [Booking.org_id == org_id]
    if side == "host":
        return [at_its_sites]
    return [or_(Booking.org_id == org_id, at_its_sites)]


def figures(
    db: Session, where: list[ColumnElement[bool]], start: datetime, end: datetime
) -> dict[str, Any]:
    """Bookings made in [start, end), by channel and place, with what became of them."""
    rows = db.execute(
        select(
            Booking.channel,
            Booking.place,
            func.count().label("made"),
            func.sum(case((Booking.status == BookingStatus.CANCELLED, 1), else_=0)).label(
                "cancelled"
            ),
            func.sum(case((Booking.status == BookingStatus.NO_SHOW, 1), else_=0)).label("no_show"),
            func.sum(case((Booking.checked_in_at.is_not(None), 1), else_=0)).label("arrived"),
        )
        .where(
            *where,
            Booking.created_at >= start,
            Booking.created_at < end,
            Booking.status != BookingStatus.HELD,  # a hold is no booking until proven
        )
        .group_by(Booking.channel, Booking.place)
    ).all()
    by_channel = {
        c.value: {"made": 0, "cancelled": 0, "no_show": 0, "arrived": 0} for c in BookingChannel
    }
    by_place = {p.value: 0 for p in VisitPlace}
    for row in rows:
        counts = by_channel[str(row.channel)]
        for field in ("made", "cancelled", "no_show", "arrived"):
            counts[field] += int(getattr(row, field) or 0)
        by_place[str(row.place or VisitPlace.SERVICE_POINT)] += int(row.made)
    return {
        "by_channel": by_channel,
        "by_place": by_place,
        "made": sum(c["made"] for c in by_channel.values()),
        "cancelled": sum(c["cancelled"] for c in by_channel.values()),
        "no_show": sum(c["no_show"] for c in by_channel.values()),
    }
