"""/book/ over real HTTP: holds are counted per address and per e-mail, a hold without
its proof lets the time go, links of one purpose or changed by hand open nothing, a mail
server that is down holds nothing, bad input is a page that says what to fix."""

from __future__ import annotations

import re
from datetime import date, timedelta

import requests
from sqlalchemy import func, select

from devtools.appointment_world import free
from tests.central.book.conftest import SERVICE


def _first_free(web, day_offset: int = 1) -> str:
    day = (date.today() + timedelta(days=day_offset)).isoformat()
    token = web.org.tokens["booking_system"]
    return free(web.central, token, service_id=SERVICE, place="home", day=day)["times"][0][
        "starts_at"
    ]


def _forget_counts(web) -> None:
    """A fresh hour for the next test: the counters behind the limits start over."""
    from central.db.engine import session_scope
    from central.db.models import LoginThrottle

    with session_scope(web.central.app.state.sessions) as db:
        db.query(LoginThrottle).delete()


def _hold(
    web, starts_at: str, email: str, name: str = "Maija Virtanen", **over
) -> requests.Response:
    form = {
        "service_id": SERVICE,
        "at": "home",
        "language": "fi",
        "starts_at": starts_at,
        "name": name,
        "email": email,
        "lang": "en",
        **over,
    }
    return requests.post(f"{web.central.base}/book/hold", data=form, timeout=15)


def _held(web) -> int:
    from central.db.engine import session_scope
    from central.db.models import Booking

    with session_scope(web.central.app.state.sessions) as db:
        return db.scalar(select(func.count()).select_from(Booking).where(Booking.status == "held"))


def _proof_link(web, to: str) -> str:
    message = next(m for m in reversed(web.inbox.messages) if m["To"] == to)
    return re.search(r"https?://\S+/book/c/\S+", message.get_body().get_content()).group(0)


def test_holds_are_counted_per_e_mail_address(web):
    email = "flood-one@example.fi"
    mailed_before = len(web.inbox.messages)  # the inbox serves both databases' runs
    statuses = [_hold(web, _first_free(web, n), email).status_code for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    refused = _hold(web, _first_free(web, 5), email)
    assert "Too many booking attempts" in refused.text
    sent = [m for m in web.inbox.messages[mailed_before:] if m["To"] == email]
    assert len(sent) == 3  # the refused ones mailed nobody


def test_holds_are_counted_per_browser_address(web):
    _forget_counts(web)
    before = _held(web)
    statuses = [
        _hold(web, _first_free(web, 6), f"many-{n}@example.fi").status_code for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]  # ten an hour from one address
    assert _held(web) - before == 10


def test_an_unproven_hold_lets_its_time_go(web):
    from central.db.engine import session_scope
    from central.db.models import Booking, LoginThrottle
    from central.db.types import utcnow
    from central.settings import Settings
    from central.web.rate_limit import key_for

    with session_scope(web.central.app.state.sessions) as db:
        db.query(LoginThrottle).filter(
            LoginThrottle.key == key_for("hold-address", "127.0.0.1")
        ).delete()
    del Settings
    starts_at = _first_free(web, 8)
    assert _hold(web, starts_at, "slow@example.fi").status_code == 200
    assert starts_at != _first_free(web, 8)  # held: not offered
    link = _proof_link(web, "slow@example.fi")
    with session_scope(web.central.app.state.sessions) as db:
        held = db.scalars(select(Booking).where(Booking.contact_email == "slow@example.fi")).one()
        held.hold_until = utcnow() - timedelta(seconds=1)
    assert starts_at == _first_free(web, 8)  # offered again
    token = link.split("/book/c/")[1].split("?")[0]
    late = requests.post(f"{web.central.base}/book/c/{token}", data={"lang": "en"}, timeout=15)
    assert late.status_code == 410 and "not valid" in late.text
    with session_scope(web.central.app.state.sessions) as db:
        assert db.get(Booking, held.id).status == "cancelled"


def test_links_open_only_what_they_were_made_for(web):
    _forget_counts(web)
    assert _hold(web, _first_free(web, 9), "links@example.fi").status_code == 200
    token = _proof_link(web, "links@example.fi").split("/book/c/")[1].split("?")[0]
    base = web.central.base
    booking_id, tag = token.split(".")
    changed = f"{booking_id}.{tag[:-2]}{'AA' if tag[-2:] != 'AA' else 'BB'}"
    for path in (f"/book/c/{changed}", f"/book/m/{token}", f"/book/m/{token}/cancel"):
        r = requests.get(base + path, timeout=15)
        assert (
            r.status_code == 404
            and "not valid" in r.text.replace("\n", " ").lower()
            or ("linkki" in r.text)
        ), path
    assert requests.post(f"{base}/book/m/{token}/cancel", timeout=15).status_code == 404
    assert requests.get(f"{base}/book/c/{token}", timeout=15).status_code == 200


def test_a_mail_server_that_is_down_holds_nothing(web):
    _forget_counts(web)
    starts_at = _first_free(web, 10)
    before = _held(web)
    web.inbox.refusing = True
    try:
        r = _hold(web, starts_at, "down@example.fi")
    finally:
        web.inbox.refusing = False
    assert r.status_code == 503 and "could not be sent" in r.text
    assert _held(web) == before and _first_free(web, 10) == starts_at


def test_bad_input_is_a_page_that_names_what_to_fix(web):
    _forget_counts(web)
    before = _held(web)
    r = _hold(web, _first_free(web, 11), "not-an-address", name="")
    assert r.status_code == 422
    assert "Please check: Name, E-mail address" in r.text
    r = _hold(web, "yesterday", "x@example.fi")
    assert r.status_code == 422 and "Please check: Time" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert _held(web) == before
