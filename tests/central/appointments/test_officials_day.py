"""The official's side of appointments: the day's list with who has arrived, a calendar
feed of their own (iCalendar, parsed by an independent parser) naming no citizen, the
no-show marked after the grace time (and taken back when an offline kiosk's check-in
arrives late), and the bookings counted by channel and place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import requests

from devtools.appointment_world import book, nth_free_day, open_calendar
from devtools.builders import service_ids
from devtools.central_world import add_user, make_org, ok

SERVICE = service_ids()[0]


def _book(central, org, place, n, name):
    return book(central, org, SERVICE, place, n, name)


def _move(central, booking_id, starts_at):
    from central.db.engine import session_scope
    from central.db.models import Booking

    with session_scope(central.app.state.sessions) as db:
        booking = db.get(Booking, booking_id)
        length = booking.ends_at - booking.starts_at
        booking.starts_at, booking.ends_at = starts_at, starts_at + length


def test_the_day_the_feed_and_no_shows(central, national):
    from central.appointments import no_shows
    from central.db.engine import session_scope
    from central.db.types import utcnow

    org = make_org(central, national)
    official = org.tokens["official"]
    open_calendar(central, org.tokens["org_admin"], official, SERVICE)
    here = _book(central, org, "service_point", 0, "Maija Virtanen")
    home = _book(central, org, "home", 1, "Erik Exempel")
    late = _book(central, org, "service_point", 2, "Pekka Puuttuva")
    now = utcnow()
    today = now.replace(microsecond=0)
    # Today's times: one soon, one just passed, one long past (a no-show to be).
    _move(central, here["id"], today + timedelta(minutes=20))
    _move(central, home["id"], today + timedelta(minutes=40))
    _move(central, late["id"], today - timedelta(minutes=30))
    event = {"event_id": str(uuid.uuid4()), "booking_id": here["id"], "at": now.isoformat()}
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=event))["status"]
        == "checked_in"
    )
    with session_scope(central.app.state.sessions) as db:
        assert no_shows.mark(db, utcnow(), timedelta(minutes=15)) == 1

    day = ok(central.request("GET", "/desk/appointments", official, params={"lang": "en"}))
    states = {a["booking_id"]: (a["state"], a["place"], a["name"]) for a in day["items"]}
    assert states[here["id"]] == ("arrived", "service_point", "Maija Virtanen")
    assert states[home["id"]] == ("booked", "home", "Erik Exempel")
    assert states[late["id"]][0] == "no_show"
    assert day["items"][0]["service_name"] == "General housing allowance"

    # The late citizen's kiosk was offline: its check-in arrives now, and counts.
    event = {
        "event_id": str(uuid.uuid4()),
        "booking_id": late["id"],
        "at": (now - timedelta(minutes=25)).isoformat(),
    }
    ok(central.request("POST", "/kiosk/checkins", org.device_token, json=event))
    day = ok(central.request("GET", "/desk/appointments", official))
    assert {a["booking_id"]: a["state"] for a in day["items"]}[late["id"]] == "arrived"

    # The feed: the official's own, no token needed, no citizen named.
    feed = requests.get(day["feed_url"], timeout=15)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(feed.content)
    events = {str(e["UID"]).split("@")[0]: e for e in parsed.walk("VEVENT")}
    assert set(events) >= {here["id"], home["id"], late["id"]}
    assert events[home["id"]].decoded("DTSTART") == datetime.fromisoformat(
        next(a["starts_at"] for a in day["items"] if a["booking_id"] == home["id"])
    ).astimezone(UTC)
    assert "Kotoa" in str(events[home["id"]]["LOCATION"])
    for name in ("Maija", "Erik", "Pekka"):
        assert name.encode() not in feed.content
    # A key changed by hand, or another official's feed: nothing.
    changed = (
        day["feed_url"][:-8]
        + ("0000" if not day["feed_url"].endswith("0000.ics") else "1111")
        + ".ics"
    )
    assert requests.get(changed, timeout=15).status_code == 404
    other = add_user(central, "official", org.id)
    theirs = ok(central.request("GET", "/desk/appointments", other))
    assert theirs["items"] == [] and theirs["feed_url"] != day["feed_url"]


def test_bookings_are_counted_by_channel_and_place(central, national):
    org = make_org(central, national)
    open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    first = _book(central, org, "home", 0, "A")
    _book(central, org, "service_point", 1, "B")
    ok(central.request("DELETE", f"/bookings/{first['id']}", org.tokens["booking_system"]))
    query = {"service_id": SERVICE, "language": "fi"}
    times = nth_free_day(central, "/kiosk/appointments/free", org.device_token, query, 3)
    ok(
        central.request(
            "POST",
            "/kiosk/appointments",
            org.device_token,
            json={
                "service_id": SERVICE,
                "language": "fi",
                "starts_at": times[3]["starts_at"],
            },
        ),
        201,
    )
    counted = ok(central.request("GET", "/stats/bookings", org.tokens["org_admin"]))
    assert counted["by_channel"]["booking_system"] == {
        "made": 2,
        "cancelled": 1,
        "no_show": 0,
        "arrived": 0,
    }
    assert counted["by_channel"]["kiosk"]["made"] == 1
    assert counted["by_place"] == {"service_point": 2, "home": 1}
    # Another organisation counts none of these.
    other = make_org(central, national, with_kiosk=False)
    assert ok(central.request("GET", "/stats/bookings", other.tokens["org_admin"]))["made"] == 0
