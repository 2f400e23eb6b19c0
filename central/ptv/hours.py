"""PTV service hours (V11VmOpenApiServiceHour) as the kiosk's opening-hours model.

Each PTV entry becomes one entry:

    {"kind": "weekly" | "exception" | "over_midnight",
     "valid_from": "YYYY-MM-DD" | null, "valid_to": "YYYY-MM-DD" | null,
     "closed": bool, "always_open": bool, "by_appointment": bool,
     "info": {language: text},          # e.g. the holiday's name
     "spans": [{"day": "mon".."sun" | null, "from": "HH:MM", "to": "HH:MM", "days": n}]}

`days` is how many midnights a span crosses (0: the same day; Friday 15:00 to Monday 08:00
is 3). An exception's spans have no weekday: they apply on each of its dates. The kiosk
decides what is open on a given day (kiosk/service_hours.py); nothing is merged here, so
summer hours stay beside the normal week and a closed holiday stays a closed day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from central.ptv.texts import InvalidService, localized

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PTV_DAYS = {
    name: DAYS[n]
    for n, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )
}
KINDS = {
    "DaysOfTheWeek": "weekly",
    "Standard": "weekly",  # version 7 and older
    "Exceptional": "exception",
    "Exception": "exception",
    "OverMidnight": "over_midnight",
    "Special": "over_midnight",
}
FINLAND = ZoneInfo("Europe/Helsinki")


def _day(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if value in PTV_DAYS:
        return PTV_DAYS[value]
    if value in DAYS:
        return str(value)
    raise InvalidService(f"{field} must be a weekday like 'Monday', not {value!r}")


def _time(value: Any, field: str) -> str:
    text = str(value or "").strip()
    parts = text.split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise InvalidService(f"{field} must be a time like '08:00', not {value!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise InvalidService(f"{field} must be a time like '08:00', not {value!r}")
    return f"{hours:02d}:{minutes:02d}"


def _date(value: Any, field: str) -> str | None:
    """A PTV date: "2026-12-06T00:00:00" (local midnight) or an instant with a zone, which
    is taken as Finnish local time (PTV's midnight in UTC is 22:00 or 21:00 the day before)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError as exc:
            raise InvalidService(f"{field} must be a date, not {value!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(FINLAND)
    return moment.date().isoformat()


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _spans(kind: str, opening: list[Any], field: str) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for n, raw in enumerate(opening):
        where = f"{field}.openingHour[{n}]"
        if not isinstance(raw, dict):
            raise InvalidService(f"{where} must be an object")
        start, end = _time(raw.get("from"), f"{where}.from"), _time(raw.get("to"), f"{where}.to")
        day_from = _day(raw.get("dayFrom"), f"{where}.dayFrom")
        day_to = _day(raw.get("dayTo"), f"{where}.dayTo")
        if kind == "exception":
            days = 1 if _minutes(end) <= _minutes(start) and end != "24:00" else 0
            spans.append({"day": None, "from": start, "to": end, "days": days})
            continue
        if day_from is None:
            raise InvalidService(f"{where}.dayFrom is needed for {kind} hours")
        gap = (DAYS.index(day_to) - DAYS.index(day_from)) % 7 if day_to else 0
        crosses = _minutes(end) <= _minutes(start) and end != "24:00"
        if kind == "over_midnight" or crosses:
            # One span from dayFrom's start to dayTo's end (the next day when not said).
            spans.append({"day": day_from, "from": start, "to": end, "days": gap or 1})
            continue
        # Monday to Friday, the same hours each day (older documents give such a range).
        for step in range(gap + 1):
            day = DAYS[(DAYS.index(day_from) + step) % 7]
            spans.append({"day": day, "from": start, "to": end, "days": 0})
    return spans


def service_hours(entries: Any, field: str = "serviceHours") -> list[dict[str, Any]]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InvalidService(f"{field} must be a list")
    out: list[dict[str, Any]] = []
    ordered = sorted(
        enumerate(entries),
        key=lambda e: (e[1].get("orderNumber") or 0) if isinstance(e[1], dict) else 0,
    )
    for n, raw in ordered:
        where = f"{field}[{n}]"
        if not isinstance(raw, dict):
            raise InvalidService(f"{where} must be an object")
        kind = KINDS.get(raw.get("serviceHourType") or "DaysOfTheWeek")
        if kind is None:
            raise InvalidService(
                f"{where}.serviceHourType must be DaysOfTheWeek, Exceptional or OverMidnight"
            )
        valid_from = _date(raw.get("validFrom"), f"{where}.validFrom")
        valid_to = _date(raw.get("validTo"), f"{where}.validTo")
        if kind == "exception" and valid_from is None:
            raise InvalidService(f"{where}.validFrom is needed for exceptional hours")
        if kind == "exception" and valid_to is None:
            valid_to = valid_from  # one day
        opening = raw.get("openingHour") or []
        if not isinstance(opening, list):
            raise InvalidService(f"{where}.openingHour must be a list")
        closed = bool(raw.get("isClosed"))
        out.append(
            {
                "kind": kind,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "closed": closed,
                "always_open": bool(raw.get("isAlwaysOpen")) and not closed,
                "by_appointment": bool(raw.get("isReservation")) and not closed,
                "info": localized(
                    raw.get("additionalInformation"), f"{where}.additionalInformation"
                ),
                "spans": [] if closed else _spans(kind, opening, where),
            }
        )
    return out
