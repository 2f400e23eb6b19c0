"""An official's video appointments as an iCalendar feed their own calendar program
subscribes to. Calendar programs send no bearer token, so the feed's address carries a
key of its own (an HMAC of the official under central's secret): it opens this feed
only. Events name the service and the place, never the citizen."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from central.api.deps import SessionDep, secret_key_of
from central.appointments import day, icalendar, links
from central.db.models import User
from central.db.types import utcnow
from central.web.links import public_base
from contract.appointments import VisitPlace
from contract.roles import Role

router = APIRouter(prefix="/desk/feed", include_in_schema=False)
PAST, AHEAD = timedelta(days=7), timedelta(days=90)


def url_for(request: Request, user_id: str) -> str:
    key = links.token_for(secret_key_of(request), links.FEED, user_id)
    return f"{public_base(request)}/desk/feed/{key}.ics"


@router.get("/{key}.ics")
def calendar_feed(request: Request, db: SessionDep, key: str) -> Response:
    user_id = links.id_of(secret_key_of(request), links.FEED, key)
    user = db.get(User, user_id) if user_id else None
    if user is None or user.role != Role.OFFICIAL or user.disabled_at is not None:
        return Response("Not found", status_code=404, media_type="text/plain")
    now = utcnow()
    events = [
        icalendar.Event(
            uid=f"{a.booking_id}@palvelupiste",
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            summary=f"Videotapaaminen: {a.service_name}",
            location="Kotoa (etäasiointi)" if a.place == VisitPlace.HOME else a.site_name,
            description=f"Kieli: {a.language}"
            + (f", tulkki: {a.interpreter_language}" if a.interpreter_language else ""),
            url=f"{public_base(request)}/desk/",
        )
        for a in day.of_official(db, user.id, now - PAST, now + AHEAD)
    ]
    db.commit()
    return Response(
        icalendar.calendar(events, now, name="Palvelupiste"),
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": "no-store"},
    )
