"""Video appointments: where a booked visit takes place and how it was booked.

Shared by central (calendars, bookings, reports), the kiosk (booking at the
kiosk) and the web pages; a third party's booking system sees them in the API.
"""

from __future__ import annotations

from enum import StrEnum


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
