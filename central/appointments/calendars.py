"""A calendar's times as periods on real days: weekly pattern, exceptions, validity.

Pure functions over an `AppointmentCalendar`, so the slot search and the checks a
published calendar passes share one reading of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from central.db.models import AppointmentCalendar
from contract.appointments import GRID_MINUTES

CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_PERIODS_A_DAY = 12


class CalendarError(ValueError):
    """A calendar that cannot be published as sent; the message says why, plainly."""


@dataclass(frozen=True)
class Period:
    """Bookable time on one day, in UTC."""

    starts_at: datetime
    ends_at: datetime


def minutes_of(clock: str) -> int:
    match = CLOCK.match(clock)
    if match is None:
        raise CalendarError(f"{clock!r} is not a time of day like 09:30.")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes % GRID_MINUTES:
        raise CalendarError(f"{clock}: times go in steps of {GRID_MINUTES} minutes.")
    return minutes


def check_periods(periods: Any, where: str) -> list[tuple[int, int]]:
    """[(start minute, end minute)] of a day's periods, sorted; refuses overlaps."""
    if not isinstance(periods, list) or len(periods) > MAX_PERIODS_A_DAY:
        raise CalendarError(f"{where}: at most {MAX_PERIODS_A_DAY} periods a day.")
    spans = []
    for period in periods:
        if not isinstance(period, dict):
            raise CalendarError(f"{where}: a period is {{start, end}}.")
        start, end = minutes_of(str(period.get("start"))), minutes_of(str(period.get("end")))
        if end <= start:
            raise CalendarError(f"{where}: {period.get('end')} is not after {period.get('start')}.")
        spans.append((start, end))
    spans.sort()
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise CalendarError(f"{where}: two periods overlap.")
    return spans


def check(calendar: AppointmentCalendar) -> None:
    """Everything the slot search relies on; raises CalendarError."""
    try:
        ZoneInfo(calendar.zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"{calendar.zone!r} is not a time zone.") from exc
    if calendar.slot_minutes % GRID_MINUTES or not 10 <= calendar.slot_minutes <= 240:
        raise CalendarError(
            f"A slot is 10–240 minutes in steps of {GRID_MINUTES} (got {calendar.slot_minutes})."
        )
    for day in range(7):
        check_periods([p for p in calendar.weekly if p.get("day") == day], _DAY_NAMES[day])
    if any(p.get("day") not in range(7) for p in calendar.weekly):
        raise CalendarError("A weekly period's day is 0 (Monday) to 6 (Sunday).")
    for day_text, periods in calendar.exceptions.items():
        try:
            date.fromisoformat(day_text)
        except ValueError as exc:
            raise CalendarError(f"{day_text!r} is not a date like 2026-12-24.") from exc
        check_periods(periods, day_text)
    start = date.fromisoformat(calendar.valid_from)
    if calendar.valid_until is not None and date.fromisoformat(calendar.valid_until) < start:
        raise CalendarError("valid_until is before valid_from.")


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def clocks_on(calendar: AppointmentCalendar, day: date) -> tuple[tuple[str, str], ...]:
    """The day's periods as written ("09:00", "11:30"), in the calendar's own zone: what
    calendars alike share, so a search works out their slots once (slots.py)."""
    if day.isoformat() < calendar.valid_from:
        return ()
    if calendar.valid_until is not None and day.isoformat() > calendar.valid_until:
        return ()
    periods = calendar.exceptions.get(day.isoformat())
    if periods is None:
        periods = [p for p in calendar.weekly if p.get("day") == day.weekday()]
    return tuple(sorted((str(p["start"]), str(p["end"])) for p in periods))


def periods_on(calendar: AppointmentCalendar, day: date) -> list[Period]:
    """The calendar's bookable time on `day` (a day in its own zone)."""
    periods = [{"start": a, "end": b} for a, b in clocks_on(calendar, day)]
    zone = ZoneInfo(calendar.zone)
    out = []
    for start, end in sorted((minutes_of(p["start"]), minutes_of(p["end"])) for p in periods):
        out.append(Period(_at(day, start, zone), _at(day, end, zone)))
    return out


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def slot_starts(calendar: AppointmentCalendar, period: Period) -> Iterator[datetime]:
    """Each slot's start in a period (a last part shorter than a slot is not offered)."""
    length = timedelta(minutes=calendar.slot_minutes)
    at = period.starts_at
    while at + length <= period.ends_at:
        yield at
        at += length


def bookable_window(calendar: AppointmentCalendar, now: datetime) -> tuple[datetime, datetime]:
    """(earliest start, latest start) a citizen may book now."""
    return (
        now + timedelta(minutes=calendar.notice_minutes),
        now + timedelta(days=calendar.book_ahead_days),
    )
