"""Usage statistics from uploaded events, for the municipality's reporting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from central.access.policy import Access, allowed
from central.api.schemas import errors
from central.appointments import report as booking_report
from central.db.models import Call, UsageEvent
from central.errors import ApiError
from central.usage import call_stats

router = APIRouter(tags=["stats"])

GROUP_COLUMNS = {
    "day": UsageEvent.local_day,
    "service": UsageEvent.service_id,
    "kiosk": UsageEvent.kiosk_id,
    "event_type": UsageEvent.type,
}


def _day(value: str | None, name: str) -> str | None:
    """A date or an RFC 3339 time, as the local day it names."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError as exc:
        raise ApiError(422, "invalid_input", f"{name} must be a date like 2026-01-31") from exc


@router.get("/stats/usage", responses=errors(401, 403, 404, 422))
def usage(
    site_id: str | None = None,
    from_: str | None = Query(default=None, alias="from", description="first day, inclusive"),
    to: str | None = Query(default=None, description="last day, inclusive"),
    group_by: Literal["day", "service", "kiosk", "event_type"] = "day",
    event_type: str | None = None,
    access: Access = Depends(allowed("stats.read")),
) -> dict[str, Any]:
    column = GROUP_COLUMNS[group_by]
    query = select(column.label("key"), func.count().label("count")).where(
        access.org_filter(UsageEvent.org_id)
    )
    if site_id is not None:
        access.site(site_id)
        query = query.where(UsageEvent.site_id == site_id)
    first, last = _day(from_, "from"), _day(to, "to")
    if first:
        query = query.where(UsageEvent.local_day >= first)
    if last:
        query = query.where(UsageEvent.local_day <= last)
    if event_type:
        query = query.where(UsageEvent.type == event_type)
    rows = access.db.execute(query.group_by(column).order_by(column)).all()
    items = [{"key": r.key, "count": r.count} for r in rows]
    return {
        "group_by": group_by,
        "from": first,
        "to": last,
        "site_id": site_id,
        "items": items,
        "total": sum(i["count"] for i in items),
    }


@router.get("/stats/calls", responses=errors(401, 403, 404, 422))
def calls(
    site_id: str | None = None,
    from_: str | None = Query(default=None, alias="from", description="first day (UTC), inclusive"),
    to: str | None = Query(default=None, description="last day (UTC), inclusive"),
    side: Literal["host", "provider"] = Query(
        default="host",
        description="host: calls made at the organisation's sites, per service, with who "
        "served them; provider: calls its officials served at every site, per site and service",
    ),
    access: Access = Depends(allowed("stats.read")),
) -> dict[str, Any]:
    """Video calls per service: how many were asked for and answered, how long they took
    and how long citizens waited (seconds), how many were interpreted and how many had a
    second authority's expert. From central's own record of each call; counts only,
    never what was said or shown."""
    where = []
    if side == "provider":
        where.append(access.org_filter(Call.provider_id))
        if site_id is not None:
            where.append(Call.site_id == site_id)
    else:
        where.append(access.org_filter(Call.org_id))
        if site_id is not None:
            access.site(site_id)
            where.append(Call.site_id == site_id)
    first, last = _day(from_, "from"), _day(to, "to")
    if first:
        where.append(Call.created_at >= datetime.combine(date.fromisoformat(first), time(), UTC))
    if last:
        end = datetime.combine(date.fromisoformat(last), time(), UTC) + timedelta(days=1)
        where.append(Call.created_at < end)
    items = call_stats.per_service(access.db, where)
    answer: dict[str, Any] = {
        "from": first,
        "to": last,
        "site_id": site_id,
        "side": side,
        "items": items,
        "total": sum(i["requested"] for i in items),
        "from_home": sum(i["from_home"] for i in items),
    }
    if side == "provider":
        answer["sites"] = call_stats.per_site(access.db, where)
    return answer


@router.get("/stats/bookings", responses=errors(401, 403, 422))
def bookings(
    from_: str | None = Query(default=None, alias="from", description="first day (UTC), inclusive"),
    to: str | None = Query(default=None, description="last day (UTC), inclusive"),
    side: Literal["host", "provider"] = Query(
        default="provider",
        description="provider: bookings of the organisation's officials' times, wherever; "
        "host: bookings at its service points, whoever serves them",
    ),
    access: Access = Depends(allowed("stats.read")),
) -> dict[str, Any]:
    """Bookings made in the days, by channel (kiosk, web, booking system) and place
    (service point, home): how many, and how many were cancelled, not come to, arrived."""
    first, last = _day(from_, "from"), _day(to, "to")
    start = (
        datetime.combine(date.fromisoformat(first), time(), UTC)
        if first
        else datetime(2000, 1, 1, tzinfo=UTC)
    )
    end = (
        datetime.combine(date.fromisoformat(last), time(), UTC) + timedelta(days=1)
        if last
        else datetime(2100, 1, 1, tzinfo=UTC)
    )
    org = None if access.is_national else access.person.org_id
    found = booking_report.figures(access.db, booking_report.scope(org, side), start, end)
    access.db.commit()
    return {"from": first, "to": last, "side": side, **found}
