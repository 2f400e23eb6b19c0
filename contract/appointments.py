"""Video appointments: where a booked visit takes place and how it was booked.

Shared by central (calendars, bookings, reports), the kiosk (booking at the
kiosk) and the web pages; a third party's booking system sees them in the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class VisitPlace(StrEnum):
    """Where the citizen sits during a video appointment."""

    SERVICE_POINT = "service_point"  # at a kiosk of a service point (the booking's site)
    HOME = "home"  # in their own browser, through /visit/


class BookingChannel(StrEnum):
    """How a booking was made (counted apart in the reports)."""

    KIOSK = "kiosk"
    WEB = "web"
    BOOKING_SYSTEM = "booking_system"  # pushed through POST /bookings


# Calendars are laid out on a 5-minute grid: a booked slot claims each 5 minutes of its
# official's time, so two bookings of one official can never overlap (a unique row per
# official and minute, on SQLite and PostgreSQL alike).
GRID_MINUTES = 5


@dataclass
class FreeTime:
    starts_at: str  # RFC 3339, UTC
    ends_at: str


@dataclass
class KioskFreeTimes:
    """`GET /kiosk/appointments/free` → 200: days of the next month with free times, and
    one day's times (the day asked, else the first free one)."""

    days: list[str]  # ISO dates in the service point's time zone
    day: str | None
    times: list[FreeTime]


@dataclass
class KioskAppointment:
    """`POST /kiosk/appointments`, `/change` → 201 and `/find` → 200: what the kiosk shows
    and prints. `code` is the plain code, given once when booked ("" from /find: the
    citizen typed it); `booking` is the item for the kiosk's own store (contract of
    `GET /kiosk/bookings`), present when the visit is at this kiosk's service point."""

    id: str
    code: str
    service_id: str
    starts_at: str
    ends_at: str
    place: VisitPlace
    site_name: str
    manage_url: str
    visit_url: str = ""
    mailed: bool = False
    booking: dict[str, Any] | None = None
