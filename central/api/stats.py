"""Usage statistics from uploaded events, for the municipality's reporting."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from central.api.schemas import errors
from central.db.models import UsageEvent
from central.errors import ApiError
from central.policy import Access, allowed

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
