"""Double booking is impossible: fifty attempts at once on one official's time, through
central's HTTP API on SQLite and PostgreSQL; exactly one wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from devtools.appointment_world import free, open_calendar
from devtools.builders import service_ids
from devtools.central_world import make_org

SERVICE = service_ids()[0]
ATTEMPTS = 50
pytestmark = pytest.mark.slow  # fifty threads at once: the full run's, not the fast tier's


def test_fifty_attempts_at_one_time_make_one_booking(central, national):
    from central.db.engine import session_scope
    from central.db.models import Booking, SlotClaim

    org = make_org(central, national, with_kiosk=False)
    system = org.tokens["booking_system"]
    calendar = open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    day = (date.today() + timedelta(days=2)).isoformat()
    start = free(central, system, service_id=SERVICE, place="home", day=day)["times"][0]

    def attempt(n: int) -> int:
        body = {
            "service_id": SERVICE,
            "place": "home",
            "language": "fi",
            "starts_at": start["starts_at"],
            "name": f"Asiakas {n}",
        }
        return central.request("POST", "/appointments", system, json=body).status_code

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    with session_scope(central.app.state.sessions) as db:
        live = db.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.calendar_id == calendar["id"], Booking.status == "booked")
        )
        claims = db.scalar(
            select(func.count())
            .select_from(SlotClaim)
            .where(SlotClaim.official_id == calendar["official_id"])
        )
    assert live == 1
    assert claims == 30 // 5  # one booking's six grid steps, nothing left by the losers
