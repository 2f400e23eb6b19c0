"""/visit/ over real HTTP, without media: which links open a visit, when its queue
opens, the page's Content-Security-Policy, and that one visit's link opens nothing of
another's."""

from __future__ import annotations

from datetime import timedelta

import requests

from devtools.appointment_world import book, open_calendar
from devtools.builders import service_ids
from devtools.central_world import make_org, ok

SERVICE = service_ids()[0]


def _visit(central, org, place: str = "home", n: int = 0) -> tuple[str, dict]:
    from central.appointments import links

    booked = book(central, org, SERVICE, place, n)
    secret = central.app.state.secret_key
    return links.token_for(secret, links.MANAGE, booked["id"]), booked


def test_which_links_open_a_visit_and_when(central, national):
    from central.db.engine import session_scope
    from central.db.models import Booking
    from central.db.types import utcnow

    org = make_org(central, national)
    open_calendar(
        central, org.tokens["org_admin"], org.tokens["official"], SERVICE, notice_minutes=24 * 60
    )
    token, booked = _visit(central, org)
    page = requests.get(f"{central.base}/visit/{token}?lang=en", timeout=15)
    assert page.status_code == 200 and "You can join the queue 15 minutes before" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    early = requests.post(f"{central.base}/visit/{token}/call", timeout=15)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_now"

    # Its time comes: the queue opens (no media server here: said so, never a 500).
    with session_scope(central.app.state.sessions) as db:
        booking = db.get(Booking, booked["id"])
        booking.starts_at, booking.ends_at = utcnow(), utcnow() + timedelta(minutes=30)
    now = requests.post(f"{central.base}/visit/{token}/call", timeout=15)
    assert now.status_code == 503 and now.json()["error"]["code"] == "media_server_unavailable"

    # A visit at a service point has no page at home; a changed link, a cancelled
    # booking and a passed time are "not valid".
    at_point, _ = _visit(central, org, place="service_point", n=1)
    changed = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for link in (at_point, changed):
        r = requests.get(f"{central.base}/visit/{link}?lang=en", timeout=15)
        assert r.status_code == 404 and "This link is not valid" in r.text
        assert requests.post(f"{central.base}/visit/{link}/call", timeout=15).status_code == 404
    ok(central.request("DELETE", f"/bookings/{booked['id']}", org.tokens["booking_system"]))
    gone = requests.get(f"{central.base}/visit/{token}?lang=en", timeout=15)
    assert gone.status_code == 404 and "visit.js" not in gone.text


def test_one_visits_link_opens_nothing_of_another(central, national):
    from central.db.engine import session_scope
    from central.db.models import Booking, Call

    org = make_org(central, national)
    open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    mine, booked = _visit(central, org, n=0)
    theirs, _ = _visit(central, org, n=1)
    with session_scope(central.app.state.sessions) as db:
        booking = db.get(Booking, booked["id"])
        call = Call(
            org_id=org.id,
            provider_id=org.id,
            service_id=SERVICE,
            language="fi",
            booking_id=booking.id,
            place="home",
            status="active",
        )
        db.add(call)
    ok(
        requests.post(
            f"{central.base}/visit/{mine}/call/messages", json={"text": "oma"}, timeout=15
        ),
        201,
    )
    seen = requests.get(f"{central.base}/visit/{theirs}/call", timeout=15)
    assert seen.status_code == 404 and "oma" not in seen.text
    r = requests.post(
        f"{central.base}/visit/{theirs}/call/messages", json={"text": "x"}, timeout=15
    )
    assert r.status_code == 404
