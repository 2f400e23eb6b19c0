"""The roles people have: central's permissions table and the console and desk pages
name them, the API carries them (`role` of a user), and the CLI takes them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"  # the ministry's: every organisation
    ORG_ADMIN = "org_admin"  # an organisation's own people, sites and kiosks
    TECHNICIAN = "technician"  # installs, enrols and proves kiosks
    OFFICIAL = "official"  # serves citizens at the desk
    INTERPRETER = "interpreter"  # of an interpretation service
    BOOKING_SYSTEM = "booking_system"  # a machine account that writes bookings
