"""Bookings, for admins: one day's appointments at their organisation's sites and the
organisation's own bookings elsewhere, in each site's local time, with how each went."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from central.console.i18n import translations
from central.console.render import HELSINKI, render
from central.console.viewer import Viewer, viewer
from central.db.models import Booking, Service, Site, User
from central.ptv import service_name

router = APIRouter(include_in_schema=False)
SHOWN = 500  # a day's bookings at most on the page


def _day(text: str | None, today: date) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return today


@router.get("/console/bookings")
def bookings_page(request: Request, seen: Viewer = Depends(viewer("booking.read"))) -> Response:
    db = seen.access.db
    today = datetime.now(HELSINKI).date()
    day = _day(request.query_params.get("day"), today)
    # The day in Finnish time, with a margin for sites in other zones; each row's own
    # site zone decides where it is shown.
    start = datetime.combine(day, time.min, HELSINKI) - timedelta(hours=12)
    rows = db.execute(
        select(Booking, Site.name, Site.timezone, Service.item, User.email)
        .outerjoin(Site, Site.id == Booking.site_id)  # a visit from home has no site
        .join(Service, Service.id == Booking.service_id)
        .outerjoin(User, User.id == Booking.official_id)
        .where(
            or_(seen.access.org_filter(Booking.org_id), seen.access.org_filter(Site.org_id)),
            Booking.starts_at >= start,
            Booking.starts_at < start + timedelta(hours=48),
        )
        .order_by(Booking.starts_at)
        .limit(SHOWN)
    ).all()
    shown = []
    for booking, site_name, zone, item, official in rows:
        local = booking.starts_at.astimezone(ZoneInfo(zone or "Europe/Helsinki"))
        if local.date() != day:
            continue
        shown.append(
            {
                "at": local.strftime("%H:%M"),
                "until": booking.ends_at.astimezone(local.tzinfo).strftime("%H:%M"),
                "site": site_name or translations(seen.page.language).gettext("From home"),
                "service": service_name(item, seen.page.language) or booking.service_id,
                "mode": booking.mode,
                "name": booking.display_name,
                "official": official,
                "status": booking.status.value,
            }
        )
    db.commit()
    return render(
        request,
        seen.page,
        "bookings.html",
        bookings=shown,
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        today=today,
    )
