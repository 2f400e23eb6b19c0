"""Officials with open video appointment calendars, for tests, the bench and the demo."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from devtools.builders import sample_catalogue
from devtools.central_server import RunningCentral
from devtools.central_world import Org, add_user, make_org, ok, user_id

EVERY_DAY = [{"day": d, "start": "08:00", "end": "20:00"} for d in range(7)]


def calendar_body(service_id: str, **over: Any) -> dict[str, Any]:
    """A calendar open every day 8–20 in 30-minute slots from today, bookable at once."""
    return {
        "service_id": service_id,
        "languages": ["fi", "sv", "en"],
        "places": ["service_point", "home"],
        "weekly": EVERY_DAY,
        "slot_minutes": 30,
        "book_ahead_days": 30,
        "notice_minutes": 0,
        "valid_from": date.today().isoformat(),
        **over,
    }


def serve(central: RunningCentral, admin: str, official: str, services: list[str]) -> str:
    """The official serves these services (in fi, sv, en); their user id."""
    uid = user_id(central, official)
    body = {"services": services, "languages": ["fi", "sv", "en"]}
    ok(central.request("PUT", f"/officials/{uid}", admin, json=body))
    return uid


def open_calendar(
    central: RunningCentral, admin: str, official: str, service_id: str, **over: Any
) -> dict[str, Any]:
    """The official serves the service and publishes a calendar for it."""
    serve(central, admin, official, [service_id])
    body = calendar_body(service_id, **over)
    return ok(central.request("POST", "/appointment-calendars", official, json=body), 201)


def free(central: RunningCentral, token: str, **query: Any) -> dict[str, Any]:
    return ok(central.request("GET", "/appointments/free", token, params=query))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def municipality_with_times(central: RunningCentral, service_id: str) -> tuple[Org, dict[str, Any]]:
    """The sample catalogue imported, a municipality (Järvenpää) whose site offers the
    service and whose official publishes a calendar for it: (the org, the calendar)."""
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(central, national, name="Järvenpää")
    body = {"service_ids": [service_id]}
    ok(central.request("PUT", f"/sites/{org.site_id}/catalogue", national, json=body))
    calendar = open_calendar(central, org.tokens["org_admin"], org.tokens["official"], service_id)
    return org, calendar


def nth_free_day(
    central: RunningCentral, path: str, token: str, query: dict[str, Any], n: int
) -> list[dict[str, Any]]:
    """The free times of the first day that has more than n of them (late in the day,
    today's are few: the tests run at any hour)."""
    found = ok(central.request("GET", path, token, params=query))
    times: list[dict[str, Any]] = found["times"]
    for day in found["days"]:
        if len(times) > n:
            break
        times = ok(central.request("GET", path, token, params={**query, "day": day}))["times"]
    return times


def book(
    central: RunningCentral,
    org: Org,
    service_id: str,
    place: str,
    n: int = 0,
    name: str = "Maija V.",
) -> dict[str, Any]:
    """The org's booking system books the n-th free time of the first day that has one."""
    token = org.tokens["booking_system"]
    query = {"service_id": service_id, "place": place, "site_id": org.site_id}
    times = nth_free_day(central, "/appointments/free", token, query, n)
    body = {**query, "language": "fi", "starts_at": times[n]["starts_at"], "name": name}
    return ok(central.request("POST", "/appointments", token, json=body), 201)
