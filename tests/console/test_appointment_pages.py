"""Video appointment calendars in the console, in Chromium with axe-core: an admin adds a
calendar for their official from the form, sees it summarised, adds an absence, and
deletes the calendar after confirming; another municipality's admin, posting the same
forms with a valid session of their own, changes nothing; a technician has no such page."""

from __future__ import annotations

import pytest

from devtools.appointment_world import free, serve
from devtools.builders import sample_catalogue, service_ids
from devtools.central_world import ok
from tests.console.conftest import log_in, look, signed_in_as

pytestmark = pytest.mark.slow

SERVICE = service_ids()[0]


def test_an_admin_publishes_times_and_an_absence_and_nobody_else_can(console, world):
    from sqlalchemy import select

    from central.db.engine import session_scope
    from central.db.models import AppointmentCalendar

    central, a = world.central, world.a
    ok(central.request("POST", "/catalogue/import", world.national, json=sample_catalogue()))
    serve(central, a.tokens["org_admin"], a.tokens["official"], [SERVICE])
    log_in(console, world, "admin_a", "/console/appointments")
    look(console, "appointments-empty")
    console.select_option("#c-service", SERVICE)
    for day in ("Sat", "Sun"):  # every day: the test runs any day of the week
        console.check(
            f"#add-calendar input[name=day{('Mon Tue Wed Thu Fri Sat Sun'.split()).index(day)}]"
        )
    console.fill("#c-start", "08:00")
    console.fill("#c-end", "20:00")
    console.fill("#c-notice", "0")
    console.click("#add-calendar button[type=submit]")
    console.wait_for_url("**/console/appointments?done=added")
    row = console.inner_text("#calendars tbody tr")
    assert "Mon–Sun 08:00–20:00" in row and "General housing allowance" in row
    look(console, "appointments-calendar")
    days = free(central, a.tokens["booking_system"], service_id=SERVICE, place="home")["days"]
    assert days

    # Another municipality's admin, with a session and CSRF token of their own.
    with session_scope(central.app.state.sessions) as db:
        [calendar_id] = db.scalars(
            select(AppointmentCalendar.id).where(AppointmentCalendar.org_id == a.id)
        ).all()
    with signed_in_as(console, world, "admin_b", "/console/appointments") as other:
        assert "Mon–Sun" not in other.page.inner_text("main")
        answer = other.post(f"/console/appointments/calendars/{calendar_id}/delete", confirmed="1")
        assert answer.status in (403, 404) and "csrf_failed" not in answer.text()
    with session_scope(central.app.state.sessions) as db:
        assert db.get(AppointmentCalendar, calendar_id) is not None

    # An absence over the first free day takes its times out.
    console.fill("#a-from", days[0])
    console.fill("#a-to", days[0])
    console.click("#add-absence button[type=submit]")
    console.wait_for_url("**/console/appointments?done=absence:*")
    assert (
        days[0]
        not in free(central, a.tokens["booking_system"], service_id=SERVICE, place="home")["days"]
    )

    # Deleting asks first.
    console.click(f"#calendar-{calendar_id} button[type=submit]")
    assert "No new bookings are taken" in console.inner_text("main")
    look(console, "appointments-delete-confirm")
    console.click("#confirm")
    console.wait_for_url("**/console/appointments?done=deleted")
    assert "No calendars yet." in console.inner_text("#calendars")

    # A technician is not offered the page, and gets no page.
    with signed_in_as(console, world, "technician_a", "/console/fleet") as tech:
        assert "/console/appointments" not in tech.page.inner_html("nav")
        tech.page.goto(f"{central.base}/console/appointments")
        assert "Add a calendar" not in tech.page.inner_text("main")
