"""Appointment calendars: what an official or admin publishes becomes free times, minus
exceptions, absences and bookings; only where the provider may serve; never across an
organisation's boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from contract import codes
from devtools.appointment_world import (
    at,
    calendar_body,
    free,
    nth_free_day,
    open_calendar,
    serve,
)
from devtools.builders import service_ids
from devtools.central_world import agree, make_org, ok

SERVICE = service_ids()[0]
HELSINKI = ZoneInfo("Europe/Helsinki")


def _home(central, token, **query):
    return free(central, token, service_id=SERVICE, place="home", **query)


def test_weekly_times_become_free_slots_in_the_calendars_zone(central, national):
    org = make_org(central, national, with_kiosk=False)
    admin, official = org.tokens["org_admin"], org.tokens["official"]
    tomorrow = date.today() + timedelta(days=1)
    weekly = [{"day": tomorrow.weekday(), "start": "09:00", "end": "10:40"}]
    open_calendar(central, admin, official, SERVICE, weekly=weekly, slot_minutes=20)
    found = _home(central, org.tokens["booking_system"], day=tomorrow.isoformat())
    assert tomorrow.isoformat() in found["days"]
    local = [at(t["starts_at"]).astimezone(HELSINKI).strftime("%H:%M") for t in found["times"]]
    assert local == ["09:00", "09:20", "09:40", "10:00", "10:20"]
    # Only that weekday: the next week's, nothing between.
    days = [date.fromisoformat(d) for d in found["days"]]
    assert all(d.weekday() == tomorrow.weekday() for d in days)
    assert len(days) in (4, 5)


def test_a_changed_or_deleted_calendar_is_searched_as_it_is_now(central, national):
    """Searches keep calendars they have read (central/appointments/slots.py): a change
    or a deletion is still seen by the very next search."""
    org = make_org(central, national, with_kiosk=False)
    admin, official = org.tokens["org_admin"], org.tokens["official"]
    system = org.tokens["booking_system"]
    tomorrow = date.today() + timedelta(days=1)

    def local_times() -> list[str]:
        found = _home(central, system, day=tomorrow.isoformat())
        return [at(t["starts_at"]).astimezone(HELSINKI).strftime("%H:%M") for t in found["times"]]

    weekly = [{"day": tomorrow.weekday(), "start": "09:00", "end": "10:00"}]
    calendar = open_calendar(central, admin, official, SERVICE, weekly=weekly)
    assert local_times() == ["09:00", "09:30"]
    weekly = [{"day": tomorrow.weekday(), "start": "12:00", "end": "13:00"}]
    body = calendar_body(SERVICE, weekly=weekly)
    ok(central.request("PUT", f"/appointment-calendars/{calendar['id']}", official, json=body))
    assert local_times() == ["12:00", "12:30"]
    body = calendar_body(SERVICE, weekly=weekly, languages=["sv"])
    ok(central.request("PUT", f"/appointment-calendars/{calendar['id']}", official, json=body))
    assert local_times() == ["12:00", "12:30"]  # any language
    in_finnish = _home(central, system, day=tomorrow.isoformat(), language="fi")
    assert in_finnish["times"] == []
    ok(central.request("DELETE", f"/appointment-calendars/{calendar['id']}", official), 204)
    assert _home(central, system)["days"] == []


def test_exceptions_validity_notice_and_horizon_limit_the_days(central, national):
    org = make_org(central, national, with_kiosk=False)
    admin, official = org.tokens["org_admin"], org.tokens["official"]
    today = date.today()
    closed = today + timedelta(days=2)
    short = today + timedelta(days=3)
    open_calendar(
        central,
        admin,
        official,
        SERVICE,
        exceptions={
            closed.isoformat(): [],
            short.isoformat(): [{"start": "12:00", "end": "12:30"}],
        },
        book_ahead_days=6,
        valid_until=(today + timedelta(days=5)).isoformat(),
        notice_minutes=60 * 24 * 2,  # two days' notice: nothing before the day after tomorrow
    )
    found = _home(central, org.tokens["booking_system"])
    days = [date.fromisoformat(d) for d in found["days"]]
    assert closed not in days and today not in days and today + timedelta(days=1) not in days
    assert short in days and max(days) <= today + timedelta(days=5)
    on_short = _home(central, org.tokens["booking_system"], day=short.isoformat())["times"]
    assert [at(t["starts_at"]).astimezone(HELSINKI).strftime("%H:%M") for t in on_short] == [
        "12:00"
    ]


def test_an_absence_removes_slots_and_names_bookings_inside_it(central, national):
    org = make_org(central, national, with_kiosk=False)
    admin, official, system = (org.tokens[r] for r in ("org_admin", "official", "booking_system"))
    open_calendar(central, admin, official, SERVICE)
    day = date.today() + timedelta(days=1)
    times = _home(central, system, day=day.isoformat())["times"]
    first = times[0]["starts_at"]
    booked = ok(
        central.request(
            "POST",
            "/appointments",
            system,
            json={
                "service_id": SERVICE,
                "place": "home",
                "language": "fi",
                "starts_at": first,
                "name": "Maija V.",
            },
        ),
        201,
    )
    start = datetime.combine(day, datetime.min.time(), tzinfo=HELSINKI)
    absence = ok(
        central.request(
            "POST",
            "/absences",
            official,
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=1)).isoformat(),
            },
        ),
        201,
    )
    assert absence["bookings_inside"] == [booked["id"]]
    assert day.isoformat() not in _home(central, system)["days"]
    assert _home(central, system, day=day.isoformat())["times"] == []
    ok(central.request("DELETE", f"/absences/{absence['id']}", official), 204)
    back = _home(central, system, day=day.isoformat())["times"]
    assert len(back) == len(times) - 1 and first not in [t["starts_at"] for t in back]


def test_a_calendar_that_cannot_work_is_refused_with_the_reason(central, national):
    org = make_org(central, national, with_kiosk=False)
    admin, official = org.tokens["org_admin"], org.tokens["official"]
    serve(central, admin, official, [SERVICE])
    cases = {
        "overlap": {
            "weekly": [
                {"day": 0, "start": "09:00", "end": "11:00"},
                {"day": 0, "start": "10:00", "end": "12:00"},
            ]
        },
        "steps of 5": {"weekly": [{"day": 0, "start": "09:03", "end": "11:00"}]},
        "not after": {"weekly": [{"day": 0, "start": "11:00", "end": "09:00"}]},
        "time zone": {"zone": "Mars/Olympus"},
        "before valid_from": {"valid_until": "2020-01-01"},
        "not a date": {"exceptions": {"24.12.": []}},
    }
    for words, over in cases.items():
        r = central.request(
            "POST", "/appointment-calendars", official, json=calendar_body(SERVICE, **over)
        )
        assert r.status_code == 422 and words in r.json()["error"]["message"], (words, r.text)
    other = service_ids()[1]
    r = central.request("POST", "/appointment-calendars", official, json=calendar_body(other))
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_served"


def test_nobody_reaches_another_organisations_calendars_or_times(central, national):
    """As an attacker with a valid account of each kind: another organisation's admin and
    official, a same-organisation official, a technician, a booking system."""
    mine = make_org(central, national, with_kiosk=False, name="Oma")
    theirs = make_org(central, national, with_kiosk=False, name="Muu")
    calendar = open_calendar(central, mine.tokens["org_admin"], mine.tokens["official"], SERVICE)
    path = f"/appointment-calendars/{calendar['id']}"
    body = calendar_body(SERVICE)
    for attacker in (theirs.tokens["org_admin"], theirs.tokens["official"]):
        listed = ok(central.request("GET", "/appointment-calendars", attacker))["items"]
        assert calendar["id"] not in [c["id"] for c in listed]
        assert central.request("PUT", path, attacker, json=body).status_code in (403, 404)
        assert central.request("DELETE", path, attacker).status_code in (403, 404)
        r = central.request(
            "POST",
            "/absences",
            attacker,
            json={
                "official_id": calendar["official_id"],
                "starts_at": datetime.now(UTC).isoformat(),
                "ends_at": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
            },
        )
        assert r.status_code in (403, 422)
    colleague = make_org(central, national, with_kiosk=False)  # a second official below
    del colleague
    technician = mine.tokens["technician"]
    assert central.request("GET", "/appointment-calendars", technician).status_code == 403
    assert central.request("PUT", path, technician, json=body).status_code == 403
    # Another organisation's booking system sees and books none of these times.
    assert _home(central, theirs.tokens["booking_system"])["days"] == []
    start = _home(central, mine.tokens["booking_system"])["times"][0]["starts_at"]
    r = central.request(
        "POST",
        "/appointments",
        theirs.tokens["booking_system"],
        json={
            "service_id": SERVICE,
            "place": "home",
            "language": "fi",
            "starts_at": start,
            "name": "Hyökkääjä",
        },
    )
    assert r.status_code == 409
    # The calendar is unchanged and its time still free.
    assert start in [t["starts_at"] for t in _home(central, mine.tokens["booking_system"])["times"]]


def test_at_a_service_point_only_where_the_provider_may_serve(central, national):
    """A provider's calendar offers times at a host municipality's service point only
    once an agreement covers the service there; from home regardless."""
    host = make_org(central, national, with_kiosk=False, name="Kunta")
    provider = make_org(central, national, with_kiosk=False, name="Kela", ptv_id=None)
    open_calendar(central, provider.tokens["org_admin"], provider.tokens["official"], SERVICE)
    system = provider.tokens["booking_system"]
    query = {"service_id": SERVICE, "place": "service_point", "site_id": host.site_id}
    # The host serves its own: the provider's booking system is told so.
    refused = central.request("GET", "/appointments/free", system, params=query)
    assert refused.status_code == 403 and "no agreement" in refused.json()["error"]["message"]
    agree(central, national, host.id, provider.id, service_ids=[SERVICE])
    assert free(central, system, **query)["days"] != []
    assert _home(central, system)["days"] != []


def test_booking_takes_the_time_and_cancelling_gives_it_back(central, national):
    org = make_org(central, national)
    admin, official, system = (org.tokens[r] for r in ("org_admin", "official", "booking_system"))
    open_calendar(central, admin, official, SERVICE)
    day = (date.today() + timedelta(days=1)).isoformat()
    query = {"service_id": SERVICE, "place": "service_point", "site_id": org.site_id, "day": day}
    start = free(central, system, **query)["times"][0]["starts_at"]
    body = {
        "service_id": SERVICE,
        "place": "service_point",
        "site_id": org.site_id,
        "language": "sv",
        "starts_at": start,
        "name": "Maija V.",
        "interpreter_language": "ar",
        "card_id": "04A1B2C3D4E5F6",  # the citizen checks in by card as well
    }
    booked = ok(central.request("POST", "/appointments", system, json=body), 201)
    assert booked["site_id"] == org.site_id and booked["mode"] == "remote"
    assert booked["place"] == "service_point" and booked["channel"] == "booking_system"
    assert booked["official_id"] and booked["interpreter_language"] == "ar"
    assert start not in [t["starts_at"] for t in free(central, system, **query)["times"]]
    again = central.request("POST", "/appointments", system, json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "slot_taken"
    # The site's kiosk checks in against it like any booking.
    items = ok(central.request("GET", "/kiosk/bookings", org.device_token))["items"]
    [item] = [b for b in items if b["id"] == booked["id"]]
    assert item["card_hash"] == codes.card_hash(
        "04A1B2C3D4E5F6", item["code_salt"], item["code_hash_alg"]
    )
    assert "04A1B2C3D4E5F6" not in str(items)
    ok(central.request("DELETE", f"/bookings/{booked['id']}", system))
    assert start in [t["starts_at"] for t in free(central, system, **query)["times"]]
    sync = ok(central.request("GET", "/kiosk/bookings", org.device_token))
    assert booked["id"] not in [b["id"] for b in sync["items"]]


def test_a_citizens_name_and_e_mail_go_a_day_after_the_appointment(central, national):
    from central.db.engine import session_scope
    from central.db.models import Booking
    from central.usage import retention

    org = make_org(central, national, with_kiosk=False)
    admin, official, system = (org.tokens[r] for r in ("org_admin", "official", "booking_system"))
    open_calendar(central, admin, official, SERVICE)
    query = {"service_id": SERVICE, "place": "home"}
    times = nth_free_day(central, "/appointments/free", system, query, 1)
    made = []
    for n in range(2):
        body = {
            "service_id": SERVICE,
            "place": "home",
            "language": "fi",
            "starts_at": times[n]["starts_at"],
            "name": f"Maija Virtanen {n}",
            "email": f"maija{n}@example.fi",
        }
        made.append(ok(central.request("POST", "/appointments", system, json=body), 201)["id"])
    with session_scope(central.app.state.sessions) as db:
        past = db.get(Booking, made[0])
        past.starts_at -= timedelta(days=3)
        past.ends_at -= timedelta(days=3)
    with session_scope(central.app.state.sessions) as db:
        removed = retention.apply(db, central.app.state.settings)
    assert removed["appointment_contacts"] >= 1
    with session_scope(central.app.state.sessions) as db:
        gone, kept = db.get(Booking, made[0]), db.get(Booking, made[1])
        assert gone.contact_email is None and gone.display_name == ""
        assert gone.name_sealed_code is None and gone.status == "booked"  # still counted
        assert kept.contact_email == "maija1@example.fi"
