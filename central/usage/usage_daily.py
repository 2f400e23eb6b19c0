"""The daily usage counts reports read (central/db/models.py UsageDaily), kept as events
arrive: one upsert per distinct key of a batch, adding to what is there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.db.engine import changed
from central.db.models import UsageDaily

MAX_DETAIL = 64


def key_of(type_: str, service_id: str | None, data: dict[str, Any]) -> tuple[str, str, str]:
    """(type, service, detail): the score of an answer, the feature turned on."""
    detail = ""
    if type_ == "satisfaction":
        detail = str(data.get("score", ""))
    elif type_ == "accessibility_used":
        detail = str(data.get("feature", ""))
    return type_, (service_id or "")[:64], detail[:MAX_DETAIL]


def duration_of(type_: str, data: dict[str, Any]) -> float:
    value = data.get("duration_s") if type_ == "call_ended" else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def add(db: Session, events: Iterable[dict[str, Any]]) -> None:
    """Count stored events (rows as written to usage_events) into the daily table."""
    summed: dict[tuple[str, ...], dict[str, Any]] = {}
    for e in events:
        type_, service, detail = key_of(e["type"], e.get("service_id"), e.get("data") or {})
        key = (e["kiosk_id"], e["local_day"], type_, service, detail)
        row = summed.get(key)
        duration = duration_of(type_, e.get("data") or {})
        if row is None:
            summed[key] = {
                "org_id": e["org_id"],
                "site_id": e["site_id"],
                "kiosk_id": e["kiosk_id"],
                "local_day": e["local_day"],
                "type": type_,
                "service_id": service,
                "detail": detail,
                "count": 1,
                "total": duration,
                "peak": duration,
            }
        else:
            row["count"] += 1
            row["total"] += duration
            row["peak"] = max(row["peak"], duration)
    if not summed:
        return
    postgres = db.get_bind().dialect.name == "postgresql"
    insert = (postgresql.insert if postgres else sqlite.insert)(UsageDaily)
    bigger = func.greatest if postgres else func.max
    statement = insert.on_conflict_do_update(
        index_elements=["kiosk_id", "local_day", "type", "service_id", "detail"],
        set_={
            "count": UsageDaily.count + insert.excluded.count,
            "total": UsageDaily.total + insert.excluded.total,
            "peak": bigger(UsageDaily.peak, insert.excluded.peak),
        },
    )
    db.execute(statement, list(summed.values()))


def prune(db: Session, org_id: str, before_day: str) -> int:
    """Retention: the counts go with the events they counted."""
    old = UsageDaily.org_id == org_id, UsageDaily.local_day < before_day
    return changed(db, delete(UsageDaily).where(*old))
