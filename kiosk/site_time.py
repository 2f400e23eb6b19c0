"""The site's clock: every time a citizen sees (a booking's time, a ticket's, today's
opening hours) is in the site's time zone from central, not the box's, whose zone an
image may not have set."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contract.kiosk_config import KioskConfig

FALLBACK = "Europe/Helsinki"


def zone_of(config: KioskConfig) -> ZoneInfo:
    try:
        return ZoneInfo(config.site_timezone or FALLBACK)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK)


def now_at_site(config: KioskConfig) -> datetime:
    return datetime.now(zone_of(config))


def today_at_site(config: KioskConfig) -> date:
    return now_at_site(config).date()


def clock_at_site(when: str | datetime, config: KioskConfig) -> str:
    """'14:00' for an ISO time (or an aware datetime), as the site's clock shows it."""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    return moment.astimezone(zone_of(config)).strftime("%H:%M")
