"""Usage reports ("suoritteet") for the console: what kiosks were used for, over a date range.

One grouped query (day × site × kiosk × event type × service) carries nearly the
whole report: the per-day, per-service, per-kiosk and per-site figures are sums
over its rows, so 1,000,000 events cost one pass of the database. Satisfaction,
accessibility features and call durations read the event's data, for those
event types only. Device faults come from central's alerts (how many, how long).
Nothing here names a person: events carry none (contract/events.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from central.db.models import Alert, Kiosk, Service, Site, UsageEvent
from central.ptv import service_name

# The activities the programme counts, in the order reports show them.
ACTIVITIES = (
    "session_started",
    "service_viewed",
    "booking_checked_in",
    "ticket_printed",
    "document_scanned",
    "document_printed",
    "call_requested",
    "call_started",
    "call_ended",
    "satisfaction",
    "accessibility_used",
    "device_fault",
)
MAX_DAYS = 400


@dataclass(frozen=True)
class ReportFilter:
    """`org_id` None means every organisation: only for a national admin (the caller's check)."""

    first: date
    last: date
    org_id: str | None = None
    site_id: str | None = None
    kiosk_id: str | None = None
    event_type: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of the report's table and of its CSV: a count for one day, place and kind."""

    day: str
    site: str
    kiosk: str
    event_type: str
    service: str
    count: int


@dataclass
class Report:
    rows: list[Row]
    visits_per_day: dict[str, int]
    per_service: list[tuple[str, int]]
    per_kiosk: list[tuple[str, int]]
    per_site: list[tuple[str, int]]
    activities: dict[str, int]
    satisfaction: dict[int, int]
    accessibility: dict[str, int]
    calls: dict[str, float]
    faults: list[dict[str, Any]] = field(default_factory=list)

    @property
    def visits(self) -> int:
        return sum(self.visits_per_day.values())


def _where(wanted: ReportFilter) -> list[ColumnElement[bool]]:
    clauses = [
        UsageEvent.local_day >= wanted.first.isoformat(),
        UsageEvent.local_day <= wanted.last.isoformat(),
    ]
    if wanted.org_id:
        clauses.append(UsageEvent.org_id == wanted.org_id)
    if wanted.site_id:
        clauses.append(UsageEvent.site_id == wanted.site_id)
    if wanted.kiosk_id:
        clauses.append(UsageEvent.kiosk_id == wanted.kiosk_id)
    if wanted.event_type:
        clauses.append(UsageEvent.type == wanted.event_type)
    return clauses


def build(db: Session, wanted: ReportFilter, language: str = "fi") -> Report:
    """Service names are given in `language` where the catalogue has it."""
    where = _where(wanted)
    grouped = db.execute(
        select(
            UsageEvent.local_day,
            UsageEvent.site_id,
            UsageEvent.kiosk_id,
            UsageEvent.type,
            UsageEvent.service_id,
            func.count(),
        )
        .where(*where)
        .group_by(
            UsageEvent.local_day,
            UsageEvent.site_id,
            UsageEvent.kiosk_id,
            UsageEvent.type,
            UsageEvent.service_id,
        )
    ).all()
    sites = dict(db.execute(select(Site.id, Site.name)).all())
    kiosks = dict(db.execute(select(Kiosk.id, Kiosk.name)).all())
    service_ids = {r[4] for r in grouped if r[4]}
    services = _service_names(db, service_ids, language)

    rows: list[Row] = []
    per_day: Counter[str] = Counter()
    per_service: Counter[str] = Counter()
    per_kiosk: Counter[str] = Counter()
    per_site: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    for day, site_id, kiosk_id, type_, service_id, count in grouped:
        site, kiosk = sites.get(site_id, site_id), kiosks.get(kiosk_id, kiosk_id)
        service = services.get(service_id, service_id or "")
        rows.append(Row(day, site, kiosk, type_, service, count))
        activities[type_] += count
        if type_ == "session_started":
            per_day[day] += count
            per_kiosk[kiosk] += count
            per_site[site] += count
        if type_ == "service_viewed" and service:
            per_service[service] += count
    rows.sort(key=lambda r: (r.day, r.site, r.kiosk, r.event_type, r.service))

    days = (wanted.last - wanted.first).days + 1
    visits_per_day = {
        (wanted.first + timedelta(days=n)).isoformat(): 0 for n in range(min(days, MAX_DAYS))
    }
    visits_per_day.update(per_day)
    return Report(
        rows=rows,
        visits_per_day=visits_per_day,
        per_service=per_service.most_common(),
        per_kiosk=per_kiosk.most_common(),
        per_site=per_site.most_common(),
        activities={a: activities.get(a, 0) for a in ACTIVITIES},
        satisfaction=_satisfaction(db, where),
        accessibility=_accessibility(db, where),
        calls=_calls(db, where),
        faults=_faults(db, wanted),
    )


def _service_names(db: Session, ids: set[str], language: str) -> dict[str, str]:
    names: dict[str, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        for service_id, item in db.execute(
            select(Service.id, Service.item).where(Service.id.in_(ordered[start : start + 500]))
        ):
            names[service_id] = service_name(item, language) or service_id
    return names


def _satisfaction(db: Session, where: list[ColumnElement[bool]]) -> dict[int, int]:
    score = UsageEvent.data["score"].as_integer()
    found = dict(
        db.execute(
            select(score, func.count())
            .where(*where, UsageEvent.type == "satisfaction")
            .group_by(score)
        ).all()
    )
    return {s: int(found.get(s, 0)) for s in range(1, 6)}


def _accessibility(db: Session, where: list[ColumnElement[bool]]) -> dict[str, int]:
    feature = UsageEvent.data["feature"].as_string()
    rows = db.execute(
        select(feature, func.count())
        .where(*where, UsageEvent.type == "accessibility_used")
        .group_by(feature)
    ).all()
    return {str(f): int(n) for f, n in sorted(rows, key=lambda r: -r[1]) if f}


def _calls(db: Session, where: list[ColumnElement[bool]]) -> dict[str, float]:
    duration = UsageEvent.data["duration_s"].as_float()
    count, total, longest = db.execute(
        select(func.count(), func.sum(duration), func.max(duration)).where(
            *where, UsageEvent.type == "call_ended"
        )
    ).one()
    total = float(total or 0)
    return {
        "calls": int(count or 0),
        "total_min": round(total / 60, 1),
        "average_min": round(total / 60 / count, 1) if count else 0.0,
        "longest_min": round(float(longest or 0) / 60, 1),
    }


def _faults(db: Session, wanted: ReportFilter) -> list[dict[str, Any]]:
    """Device faults raised in the range: how many and for how long, per device kind."""
    start = datetime.combine(wanted.first, time(), UTC)
    end = datetime.combine(wanted.last, time(), UTC) + timedelta(days=1)
    query = select(Alert.condition, Alert.raised_at, Alert.resolved_at).where(
        Alert.raised_at >= start, Alert.raised_at < end
    )
    if wanted.org_id:
        query = query.where(Alert.org_id == wanted.org_id)
    if wanted.kiosk_id:
        query = query.where(Alert.kiosk_id == wanted.kiosk_id)
    if wanted.site_id:
        query = query.where(
            Alert.kiosk_id.in_(select(Kiosk.id).where(Kiosk.site_id == wanted.site_id))
        )
    now = datetime.now(UTC)
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0, "minutes": 0.0})
    for condition, raised, resolved in db.execute(query):
        kind = condition.split(":")[1] if condition.startswith("device:") else condition
        per[kind]["count"] += 1
        per[kind]["minutes"] += ((resolved or now) - raised).total_seconds() / 60
    return [
        {"what": kind, "count": v["count"], "minutes": round(v["minutes"], 1)}
        for kind, v in sorted(per.items())
    ]
