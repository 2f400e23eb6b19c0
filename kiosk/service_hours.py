"""Is a service channel open now, and what are its hours today: from the opening-hours
model central makes of PTV's service hours (docs/ptv.md, central/ptv/hours.py).

A day's hours come from, in order:
1. exceptions covering the date (a holiday closed, New Year's Eve 10–14): they decide the
   whole day, including whether last night's span still runs into it;
2. otherwise the weekly hours valid on the date: a seasonal entry (with an end date, such
   as summer hours) wins over the open-ended normal week; over-midnight entries (Friday
   15:00 to Monday 08:00) are added to either;
3. spans that started on an earlier day and run past midnight into this one.

Times are the site's local wall-clock times, as PTV gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.site_hours import finnish_time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WHOLE_DAY = 24 * 60


def _minutes(hhmm: str) -> int:
    hours, _, minutes = str(hhmm).partition(":")
    return int(hours) * 60 + int(minutes or 0)


def _covers(entry: dict[str, Any], day: date) -> bool:
    start, end = entry.get("valid_from"), entry.get("valid_to")
    iso = day.isoformat()
    return (start is None or start <= iso) and (end is None or iso <= end)


@dataclass(frozen=True)
class Span:
    """Open from `start` to `end`, minutes after this day's midnight; `end` may pass 24:00
    (a span into the next day), `start` may be 0 for one that began the day before."""

    start: int
    end: int

    def text(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)}"


def _clock(minutes: int) -> str:
    """Minutes after a midnight as the signs write it; a span's end past midnight is the
    next day's clock time, its end at midnight 24.00."""
    minutes = minutes if minutes == WHOLE_DAY else minutes % WHOLE_DAY
    return finnish_time(f"{minutes // 60:02d}:{minutes % 60:02d}")


@dataclass
class DayHours:
    """One day of one channel. state: open (spans), closed, always_open, by_appointment,
    unknown (no hours given)."""

    state: str
    spans: list[Span] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)  # e.g. the holiday's name
    exceptional: bool = False


def _exceptions(hours: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    return [h for h in hours if h.get("kind") == "exception" and _covers(h, day)]


def _regular(hours: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    weekly = [h for h in hours if h.get("kind") == "weekly" and _covers(h, day)]
    seasonal = [h for h in weekly if h.get("valid_to")]
    chosen = seasonal or weekly
    return chosen + [h for h in hours if h.get("kind") == "over_midnight" and _covers(h, day)]


def _starting(entries: list[dict[str, Any]], day: date, exceptional: bool) -> list[tuple[int, int]]:
    """(start, end) of spans that begin on `day`; end counts minutes from that midnight."""
    weekday = DAYS[day.weekday()]
    out = []
    for entry in entries:
        if entry.get("closed"):
            continue
        if entry.get("always_open"):
            out.append((0, WHOLE_DAY))
            continue
        for span in entry.get("spans") or []:
            if not exceptional and span.get("day") != weekday:
                continue
            start, end = _minutes(span["from"]), _minutes(span["to"])
            days = int(span.get("days") or 0)
            out.append((start, end + days * WHOLE_DAY))
    return out


def _defining(hours: list[dict[str, Any]], day: date) -> tuple[list[dict[str, Any]], bool]:
    exceptions = _exceptions(hours, day)
    return (exceptions, True) if exceptions else (_regular(hours, day), False)


def day_hours(hours: list[dict[str, Any]] | None, day: date) -> DayHours:
    hours = hours or []
    if not hours:
        return DayHours("unknown")
    entries, exceptional = _defining(hours, day)
    info: dict[str, str] = {}
    for entry in entries:
        info = info or dict(entry.get("info") or {})
    if entries and all(e.get("closed") for e in entries):
        return DayHours("closed", info=info, exceptional=exceptional)
    if any(e.get("always_open") for e in entries):
        return DayHours("always_open", [Span(0, WHOLE_DAY)], info, exceptional)
    spans = [Span(s, e) for s, e in _starting(entries, day, exceptional)]
    spans += [Span(0, end) for end in _carried_in(hours, day, exceptional)]
    spans.sort(key=lambda s: (s.start, s.end))
    if spans:
        return DayHours("open", spans, info, exceptional)
    if any(e.get("by_appointment") for e in entries):
        return DayHours("by_appointment", info=info, exceptional=exceptional)
    if not entries and not any(h.get("kind") != "exception" for h in hours):
        return DayHours("unknown")
    return DayHours("closed", info=info, exceptional=exceptional)


def _carried_in(hours: list[dict[str, Any]], day: date, exceptional: bool) -> list[int]:
    """Ends (minutes after this midnight) of spans begun on earlier days still running."""
    out = []
    for back in range(1, 8):
        earlier = day - timedelta(days=back)
        entries, was_exceptional = _defining(hours, earlier)
        if exceptional and not was_exceptional:
            continue  # an exception decides its day: the normal night before stops at it
        for _start, end in _starting(entries, earlier, was_exceptional):
            remaining = end - back * WHOLE_DAY
            if remaining > 0:
                out.append(min(remaining, WHOLE_DAY))
    return out


def open_at(hours: list[dict[str, Any]] | None, moment: datetime) -> bool | None:
    """True or False; None when the channel gives no hours or is by appointment only."""
    today = day_hours(hours, moment.date())
    if today.state in ("unknown", "by_appointment"):
        return None
    minute = moment.hour * 60 + moment.minute
    return today.state == "always_open" or any(s.start <= minute < s.end for s in today.spans)


def week(hours: list[dict[str, Any]] | None, start: date) -> list[tuple[date, DayHours]]:
    """The seven days from `start`, for a weekly listing that shows this week's holidays."""
    days = [start + timedelta(days=n) for n in range(7)]
    return [(day, day_hours(hours, day)) for day in days]
