"""Open now and today's hours on fixed dates: holidays, seasons, over midnight, 24/7 and
by appointment, with the hours central makes of the sample's real PTV documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from devtools.builders import kiosk_services
from kiosk.service_hours import Span, day_hours, open_at, week


def channel_hours(service_fi: str, ptv_type: str) -> list[dict[str, Any]]:
    service = next(s for s in kiosk_services() if s["name"].get("fi") == service_fi)
    return next(c for c in service["channels"] if c["ptv_type"] == ptv_type)["hours"]


@pytest.fixture(scope="module")
def office() -> list[dict[str, Any]]:
    """Mon–Fri 9–16 (summer 9–15), closed 6.12. and 24.12., New Year's Eve 10–14."""
    return channel_hours("Passin hakeminen", "ServiceLocation")


@pytest.fixture(scope="module")
def duty() -> list[dict[str, Any]]:
    """Mon–Thu 15:00 to 08:00 the next morning, and Friday 15:00 to Monday 08:00."""
    return channel_hours("Sosiaalipäivystys", "Phone")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_ordinary_weekday(office):
    today = day_hours(office, date(2026, 12, 2))  # a Wednesday
    assert today.state == "open" and [s.text() for s in today.spans] == ["9.00–16.00"]
    assert open_at(office, at("2026-12-02T09:00")) is True
    assert open_at(office, at("2026-12-02T15:59")) is True
    assert open_at(office, at("2026-12-02T16:00")) is False
    assert open_at(office, at("2026-12-02T08:59")) is False
    assert day_hours(office, date(2026, 12, 5)).state == "closed"  # a Saturday


def test_a_holiday_on_a_weekday_is_closed_with_its_name(office):
    independence = day_hours(office, date(2026, 12, 7 - 1))  # Sunday 6.12.2026
    assert independence.state == "closed" and independence.info["fi"] == "Itsenäisyyspäivä"
    christmas_eve = day_hours(office, date(2026, 12, 24))  # a Thursday
    assert christmas_eve.state == "closed" and christmas_eve.exceptional
    assert christmas_eve.info["sv"] == "Julafton"
    assert open_at(office, at("2026-12-24T10:00")) is False
    assert open_at(office, at("2026-12-23T10:00")) is True


def test_exceptional_opening_hours(office):
    eve = day_hours(office, date(2026, 12, 31))
    assert eve.state == "open" and [s.text() for s in eve.spans] == ["10.00–14.00"]
    assert open_at(office, at("2026-12-31T09:00")) is False
    assert open_at(office, at("2026-12-31T13:30")) is True
    # An exception is one date: the next Thursday is an ordinary one.
    assert [s.text() for s in day_hours(office, date(2027, 1, 7)).spans] == ["9.00–16.00"]


def test_summer_hours_stay_beside_the_normal_week(office):
    assert [s.text() for s in day_hours(office, date(2026, 7, 1)).spans] == ["9.00–15.00"]
    assert [s.text() for s in day_hours(office, date(2026, 8, 10)).spans] == ["9.00–16.00"]
    assert open_at(office, at("2026-07-01T15:30")) is False
    assert open_at(office, at("2026-08-10T15:30")) is True


def test_across_midnight(duty):
    # Tuesday 15:00 → Wednesday 08:00
    assert open_at(duty, at("2026-12-01T23:30")) is True
    assert open_at(duty, at("2026-12-02T07:59")) is True  # still Tuesday's span
    assert open_at(duty, at("2026-12-02T08:00")) is False
    wednesday = day_hours(duty, date(2026, 12, 2))
    assert [(s.start, s.end) for s in wednesday.spans] == [(0, 480), (900, 1920)]
    assert [s.text() for s in wednesday.spans] == ["0.00–8.00", "15.00–8.00"]


def test_friday_to_monday(duty):
    for moment in ("2026-12-04T15:00", "2026-12-05T03:00", "2026-12-06T12:00", "2026-12-07T07:59"):
        assert open_at(duty, at(moment)) is True, moment
    assert open_at(duty, at("2026-12-04T14:59")) is False
    assert open_at(duty, at("2026-12-07T08:00")) is False
    saturday = day_hours(duty, date(2026, 12, 5))
    assert saturday.state == "open" and saturday.spans == [Span(0, 24 * 60)]


def test_an_exception_decides_its_whole_day():
    hours = [
        {
            "kind": "weekly",
            "valid_from": None,
            "valid_to": None,
            "closed": False,
            "always_open": False,
            "by_appointment": False,
            "info": {},
            "spans": [{"day": "wed", "from": "20:00", "to": "02:00", "days": 1}],
        },
        {
            "kind": "exception",
            "valid_from": "2026-12-24",
            "valid_to": "2026-12-24",
            "closed": True,
            "always_open": False,
            "by_appointment": False,
            "info": {"fi": "Jouluaatto"},
            "spans": [],
        },
    ]
    assert open_at(hours, at("2026-12-17T01:00")) is True  # an ordinary Thursday night
    assert open_at(hours, at("2026-12-24T01:00")) is False  # Christmas Eve is closed
    assert open_at(hours, at("2026-12-23T23:00")) is True


def test_always_open_by_appointment_and_no_hours():
    crisis = channel_hours("Kriisipuhelin", "Phone")
    assert day_hours(crisis, date(2026, 12, 24)).state == "always_open"
    assert open_at(crisis, at("2026-12-24T03:00")) is True
    counselling = channel_hours("Perheneuvonta", "ServiceLocation")
    assert day_hours(counselling, date(2026, 12, 2)).state == "by_appointment"
    assert day_hours(counselling, date(2026, 12, 2)).info["fi"] == "Vain ajanvarauksella"
    assert open_at(counselling, at("2026-12-02T10:00")) is None
    assert day_hours([], date(2026, 12, 2)).state == "unknown"
    assert open_at(None, at("2026-12-02T10:00")) is None


def test_a_week_shows_its_holiday(office):
    days = week(office, date(2026, 12, 21))
    assert [d.state for _, d in days] == [
        "open",
        "open",
        "open",
        "closed",
        "open",
        "closed",
        "closed",
    ]
