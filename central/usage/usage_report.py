"""Usage reports ("suoritteet") for the console: what kiosks were used for, over a date range.

Read from the daily counts (central/usage/usage_daily.py), never from the events: a
kiosk's day is a few dozen rows however many citizens it served, so a report over
1,000,000 events reads a fraction of that. A few small grouped queries give the
table (day × site × event type × service) and the figures by day, site, kiosk,
service, score and feature. Device faults come from central's alerts (how many,
how long). Nothing here names a person: events carry none (contract/events.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from central.appointments import report as booking_report
from central.db.models import Alert, Booking, Call, Kiosk, Service, Site, UsageDaily
from central.ptv import service_name
from contract.appointments import VisitPlace
from contract.events import ACTIVITIES

MAX_DAYS = 400


HELSINKI = ZoneInfo("Europe/Helsinki")


def today(now: datetime | None = None) -> date:
    """The reports' days are Finnish days: today is Helsinki's, not the server's (in UTC,
    the server's date lags Helsinki's for two or three hours after midnight)."""
    return (now or datetime.now(UTC)).astimezone(HELSINKI).date()


@dataclass(frozen=True)
class ReportFilter:
    """`org_id` None means every organisation: only for a national admin (the caller's check)."""

    first: date
    last: date
    org_id: str | None = None
    site_id: str | None = None
    kiosk_id: str | None = None
    event_type: str | None = None
    rows_by: str = "day"


# What the table's rows are counted by (the first column of the table and of its CSV).
ROWS_BY = ("day", "site", "kiosk", "service")


@dataclass(frozen=True)
class Row:
    """One line of the report's table and of its CSV: a count of one kind of event for
    one day, site, kiosk or service (ReportFilter.rows_by)."""

    key: str
    event_type: str
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
    # Video appointments booked in the days (central/appointments/report.py), and the
    # video calls by where the citizen was: at a service point, or at home.
    bookings: dict[str, Any] = field(default_factory=dict)
    calls_by_place: dict[str, int] = field(default_factory=dict)

    @property
    def visits(self) -> int:
        return sum(self.visits_per_day.values())


def _where(wanted: ReportFilter) -> list[ColumnElement[bool]]:
    clauses = [
        UsageDaily.local_day >= wanted.first.isoformat(),
        UsageDaily.local_day <= wanted.last.isoformat(),
    ]
    if wanted.org_id:
        clauses.append(UsageDaily.org_id == wanted.org_id)
    if wanted.site_id:
        clauses.append(UsageDaily.site_id == wanted.site_id)
    if wanted.kiosk_id:
        clauses.append(UsageDaily.kiosk_id == wanted.kiosk_id)
    if wanted.event_type:
        clauses.append(UsageDaily.type == wanted.event_type)
    return clauses


def _summed(db: Session, where: list[ColumnElement[bool]], *keys: Any) -> list[Any]:
    return list(
        db.execute(select(*keys, func.sum(UsageDaily.count)).where(*where).group_by(*keys)).all()
    )


def build(db: Session, wanted: ReportFilter, language: str = "fi") -> Report:
    """Service names are given in `language` where the catalogue has it."""
    where = _where(wanted)
    day, site, kiosk, type_ = (
        UsageDaily.local_day,
        UsageDaily.site_id,
        UsageDaily.kiosk_id,
        UsageDaily.type,
    )
    dimension = {"day": day, "site": site, "kiosk": kiosk, "service": UsageDaily.service_id}[
        wanted.rows_by if wanted.rows_by in ROWS_BY else "day"
    ]
    table = _summed(db, where, dimension, type_)
    visits = _summed(db, [*where, type_ == "session_started"], day, site, kiosk)
    viewed = _summed(db, [*where, type_ == "service_viewed"], UsageDaily.service_id)
    sites = dict(db.execute(select(Site.id, Site.name)).all())
    kiosks = dict(db.execute(select(Kiosk.id, Kiosk.name)).all())
    keys = {r[0] for r in table if r[0]} if wanted.rows_by == "service" else set()
    services = _service_names(db, keys | {r[0] for r in viewed if r[0]}, language)
    names = {"site": sites, "kiosk": kiosks, "service": services}.get(wanted.rows_by, {})
    rows = [Row(names.get(k, k or ""), t, int(n)) for k, t, n in table]
    activities: Counter[str] = Counter()
    for row in rows:
        activities[row.event_type] += row.count
    rows.sort(key=lambda r: (r.key, r.event_type))
    per_day: Counter[str] = Counter()
    per_site: Counter[str] = Counter()
    per_kiosk: Counter[str] = Counter()
    for d, s, k, n in visits:
        per_day[d] += int(n)
        per_site[sites.get(s, s)] += int(n)
        per_kiosk[kiosks.get(k, k)] += int(n)
    days = (wanted.last - wanted.first).days + 1
    visits_per_day = {
        (wanted.first + timedelta(days=n)).isoformat(): 0 for n in range(min(days, MAX_DAYS))
    }
    visits_per_day.update(per_day)
    return Report(
        rows=rows,
        visits_per_day=visits_per_day,
        per_service=sorted(
            ((services.get(v, v), int(n)) for v, n in viewed if v), key=lambda x: -x[1]
        ),
        per_kiosk=per_kiosk.most_common(),
        per_site=per_site.most_common(),
        activities={a: int(activities.get(a, 0)) for a in ACTIVITIES},
        satisfaction=_satisfaction(db, where),
        accessibility=_accessibility(db, where),
        calls=_calls(db, where),
        faults=_faults(db, wanted),
        bookings=_bookings(db, wanted),
        calls_by_place=_calls_by_place(db, wanted),
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
    found = dict(_summed(db, [*where, UsageDaily.type == "satisfaction"], UsageDaily.detail))
    return {s: int(found.get(str(s), 0)) for s in range(1, 6)}


def _accessibility(db: Session, where: list[ColumnElement[bool]]) -> dict[str, int]:
    rows = _summed(db, [*where, UsageDaily.type == "accessibility_used"], UsageDaily.detail)
    return {str(f): int(n) for f, n in sorted(rows, key=lambda r: -r[1]) if f}


def _calls(db: Session, where: list[ColumnElement[bool]]) -> dict[str, float]:
    count, total, longest = db.execute(
        select(
            func.sum(UsageDaily.count), func.sum(UsageDaily.total), func.max(UsageDaily.peak)
        ).where(*where, UsageDaily.type == "call_ended")
    ).one()
    count, total = int(count or 0), float(total or 0)
    return {
        "calls": count,
        "total_min": round(total / 60, 1),
        "average_min": round(total / 60 / count, 1) if count else 0.0,
        "longest_min": round(float(longest or 0) / 60, 1),
    }


def _days(wanted: ReportFilter) -> tuple[datetime, datetime]:
    """The filter's days as Finnish days, in UTC instants."""
    start = datetime.combine(wanted.first, time(), tzinfo=HELSINKI)
    end = datetime.combine(wanted.last, time(), tzinfo=HELSINKI) + timedelta(days=1)
    return start, end


def _bookings(db: Session, wanted: ReportFilter) -> dict[str, Any]:
    where = booking_report.scope(wanted.org_id, "any")
    if wanted.site_id:
        where.append(Booking.site_id == wanted.site_id)
    return booking_report.figures(db, where, *_days(wanted))


def _calls_by_place(db: Session, wanted: ReportFilter) -> dict[str, int]:
    start, end = _days(wanted)
    query = select(Call.place, func.count()).where(Call.created_at >= start, Call.created_at < end)
    if wanted.org_id:
        query = query.where(or_(Call.org_id == wanted.org_id, Call.provider_id == wanted.org_id))
    if wanted.site_id:
        query = query.where(Call.site_id == wanted.site_id)
    if wanted.kiosk_id:
        query = query.where(Call.kiosk_id == wanted.kiosk_id)
    found = {p.value: 0 for p in VisitPlace}
    for place, count in db.execute(query.group_by(Call.place)):
        found[str(place)] = int(count)
    return found


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
