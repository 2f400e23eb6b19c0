"""Today's opening hours from the site's settings, on fixed dates: a weekday, a
weekend, a holiday closed by an exception and a special day with its own hours."""

from __future__ import annotations

from datetime import date

from contract.kiosk_config import KioskConfig
from kiosk.site_hours import finnish_time, hours_on
from kiosk.ui.branding import today_text

CONFIG = KioskConfig.from_document(
    {
        "opening_hours": {
            "mon": [["08:00", "16:00"]],
            "tue": [["08:00", "12:00"], ["13:00", "16:00"]],
            "fri": [["08:00", "14:30"]],
        },
        "opening_exceptions": [
            {"date": "2026-12-24", "closed": True},
            {"date": "2026-12-23", "hours": [["09:00", "12:00"]]},
        ],
    }
)


def english(msgid: str) -> str:
    return msgid


def test_hours_follow_the_week_and_its_exceptions():
    assert hours_on(CONFIG, date(2026, 11, 30)) == [("08:00", "16:00")]  # a Monday
    assert hours_on(CONFIG, date(2026, 12, 1)) == [("08:00", "12:00"), ("13:00", "16:00")]
    assert hours_on(CONFIG, date(2026, 12, 5)) == []  # Saturday: not in the week
    assert hours_on(CONFIG, date(2026, 12, 24)) == []  # Christmas Eve, a Thursday
    assert hours_on(CONFIG, date(2026, 12, 23)) == [("09:00", "12:00")]  # a Wednesday
    assert hours_on(KioskConfig(), date(2026, 12, 1)) is None  # no hours given: say nothing


def test_today_in_words():
    assert today_text(english, CONFIG, date(2026, 12, 1)) == "Open today 8.00–12.00, 13.00–16.00"
    assert today_text(english, CONFIG, date(2026, 12, 24)) == "Closed today"
    assert today_text(english, KioskConfig(), date(2026, 12, 24)) == ""
    assert finnish_time("14:30") == "14.30"
