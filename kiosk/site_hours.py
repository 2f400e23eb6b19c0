"""The site's opening hours for a given day, from its settings (`opening_hours`, weekly,
and `opening_exceptions`, dated: holidays and special days), for the attract and home
screens' "Open today 8.00–16.00"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contract.kiosk_config import KioskConfig

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hours_on(config: KioskConfig, day: date) -> list[tuple[str, str]] | None:
    """The day's opening spans; [] when the site is closed; None when the site gives no
    hours at all (then the screens say nothing rather than "closed")."""
    weekly = config.opening_hours
    for exception in config.opening_exceptions or ():
        if isinstance(exception, dict) and exception.get("date") == day.isoformat():
            if exception.get("closed"):
                return []
            return _spans(exception.get("hours"))
    if not isinstance(weekly, dict) or not weekly:
        return None
    return _spans(weekly.get(DAYS[day.weekday()]))


def open_at(config: KioskConfig, moment: datetime) -> bool | None:
    """Whether the site is open at `moment` (the site's clock); None when it gives no
    hours (then nothing is refused for being closed)."""
    spans = hours_on(config, moment.date())
    if spans is None:
        return None
    now = moment.strftime("%H:%M")
    return any(start <= now < end for start, end in spans)


def _spans(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        (str(span[0]), str(span[1]))
        for span in value
        if isinstance(span, list | tuple) and len(span) == 2
    ]


def finnish_time(hhmm: str) -> str:
    """08:00 → 8.00, as Finnish and Swedish signs write it (and the English ones here)."""
    hours, _, minutes = hhmm.partition(":")
    return f"{int(hours)}.{minutes}" if hours.isdigit() else hhmm
