"""The security round 2 findings that need no media server (issue 29, items 4 and 5),
each kept fixed, on SQLite and on PostgreSQL. The call-room findings are tested against
a real Janus in tests/calls/test_room_isolation.py and tests/central/test_call_parties.py.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from central.db.engine import session_scope
from central.db.models import Call
from central.db.types import utcnow
from devtools.builders import booking_request, sample_catalogue
from tests.central.world import make_org, ok, user_id

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]


def filename_of(disposition: str) -> str:
    """The name a browser saves: `filename*` (RFC 6266, RFC 8187) before `filename`."""
    extended = re.search(r"filename\*=([\w-]+)''([^;\s]+)", disposition)
    if extended:
        return unquote(extended.group(2), encoding=extended.group(1))
    plain = re.search(r'filename="([^"]*)"', disposition)
    return plain.group(1) if plain else ""


def an_active_call(central, org, official: str) -> str:
    """An answered call of the organisation's kiosk, made in the database: documents
    pass through central only, so this module's central needs no media server."""
    with session_scope(central.app.state.sessions) as db:
        call = Call(
            org_id=org.id,
            site_id=org.site_id,
            kiosk_id=org.kiosk_id,
            service_id=SERVICES[0],
            language="fi",
            status="active",
            official_id=user_id(central, official),
            accepted_at=utcnow(),
        )
        db.add(call)
        db.flush()
        return call.id


def test_documents_named_outside_latin_1_download(central, national):
    org = make_org(central, national)
    official = org.tokens["official"]
    call_id = an_active_call(central, org, official)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for name in ("Ohcan_Čoahkki.pdf", "Заявление.pdf", 'a"b\\c.pdf', "plain.pdf"):
        shown = ok(
            central.request(
                "POST",
                f"/desk/calls/{call_id}/documents",
                official,
                params={"name": name},
                data=pdf,
                headers={"Content-Type": "application/pdf"},
            ),
            201,
        )
        got = central.request("GET", f"/desk/calls/{call_id}/documents/{shown['id']}", official)
        assert got.status_code == 200 and got.content == pdf, (name, got.status_code)
        assert filename_of(got.headers["content-disposition"]) == shown["name"]
        assert got.headers["content-disposition"].encode("latin-1")  # sendable as it is


def test_booking_times_at_the_ends_of_the_calendar_are_a_422(central, national):
    org = make_org(central, national)
    for external, starts, ends in (
        ("year-1", "0001-01-01T00:30:00+01:00", "0001-01-01T01:30:00+01:00"),
        ("year-9999", "9999-12-31T23:00:00-01:00", "9999-12-31T23:30:00-01:00"),
    ):
        body = booking_request(org.site_id, external, SERVICES[0])
        body.update(starts_at=starts, ends_at=ends)
        refused = central.request("POST", "/bookings", org.tokens["booking_system"], json=body)
        assert refused.status_code == 422, refused.text
        assert "2000-2100" in refused.text
