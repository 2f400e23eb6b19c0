"""Booking at a kiosk: times at this service point or from home, booked at once, the
answer carrying the code and the booking for the kiosk's own store; the code finds,
changes and cancels the booking at any kiosk, and guessing codes is cut off."""

from __future__ import annotations

from datetime import date, timedelta

from contract import codes
from contract.appointments import KioskAppointment, KioskFreeTimes
from contract.kiosk_api import parse
from devtools.appointment_world import open_calendar
from devtools.builders import service_ids
from devtools.central_world import make_org, ok

SERVICE = service_ids()[0]


def _free(central, device, **query) -> KioskFreeTimes:
    answer = ok(
        central.request(
            "GET", "/kiosk/appointments/free", device, params={"service_id": SERVICE, **query}
        )
    )
    return parse(KioskFreeTimes, answer)


def test_a_kiosk_books_finds_changes_and_cancels_by_code(central, national):
    org = make_org(central, national)
    other = make_org(central, national, name="Naapuri")  # another organisation's kiosk
    open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    day = (date.today() + timedelta(days=1)).isoformat()
    times = _free(central, org.device_token, language="fi", day=day).times
    card = "04C0FFEE1234"  # the card the citizen put in the reader while booking
    body = {
        "service_id": SERVICE,
        "language": "fi",
        "starts_at": times[0].starts_at,
        "card_id": card,
    }
    made = parse(
        KioskAppointment,
        ok(central.request("POST", "/kiosk/appointments", org.device_token, json=body), 201),
    )
    assert made.place == "service_point" and made.site_name == "Yhteispalvelupiste"
    assert made.booking is not None and made.booking["id"] == made.id
    plain = made.code.replace("-", "")
    item = made.booking
    assert (
        codes.booking_code_hash(plain, item["code_salt"], item["code_hash_alg"])
        == item["code_hash"]
    )
    assert item["card_hash"] == codes.card_hash(card, item["code_salt"], item["code_hash_alg"])
    assert card not in str(made.__dict__)  # only its salted hash, ever
    assert "/book/m/" in made.manage_url and made.visit_url == ""
    sync = ok(central.request("GET", "/kiosk/bookings", org.device_token))["items"]
    assert made.id in [b["id"] for b in sync]

    # Any kiosk finds it by its code, typed any way.
    found = ok(
        central.request(
            "POST", "/kiosk/appointments/find", other.device_token, json={"code": made.code.lower()}
        )
    )
    assert found["id"] == made.id and found["code"] == ""
    changed = parse(
        KioskAppointment,
        ok(
            central.request(
                "POST",
                "/kiosk/appointments/change",
                other.device_token,
                json={"code": plain, "starts_at": times[3].starts_at},
            ),
            201,
        ),
    )
    assert changed.starts_at == times[3].starts_at and changed.code != made.code
    # The card checks the citizen in at the new time too (central never had it again).
    moved = changed.booking
    assert moved is not None and moved["card_hash"] == codes.card_hash(
        card, moved["code_salt"], moved["code_hash_alg"]
    )
    assert (
        codes.booking_code_hash(
            changed.code.replace("-", ""), moved["code_salt"], moved["code_hash_alg"]
        )
        == moved["code_hash"]
    )
    gone = central.request(
        "POST", "/kiosk/appointments/find", org.device_token, json={"code": made.code}
    )
    assert gone.status_code == 404
    ok(
        central.request(
            "POST", "/kiosk/appointments/cancel", org.device_token, json={"code": changed.code}
        )
    )
    after = _free(central, org.device_token, language="fi", day=day).times
    assert times[0].starts_at in [t.starts_at for t in after]
    assert times[3].starts_at in [t.starts_at for t in after]


def test_from_home_booked_at_a_kiosk_gets_a_visit_link_and_no_kiosk_item(central, national):
    org = make_org(central, national)
    open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    first = _free(central, org.device_token, language="sv", place="home").times[0]
    body = {
        "service_id": SERVICE,
        "language": "sv",
        "place": "home",
        "starts_at": first.starts_at,
        "ui_language": "sv",
    }
    made = ok(central.request("POST", "/kiosk/appointments", org.device_token, json=body), 201)
    assert made["place"] == "home" and made["booking"] is None
    assert "/visit/" in made["visit_url"] and made["visit_url"].endswith("lang=sv")


def test_guessing_codes_at_a_kiosk_is_cut_off(central, national):
    org = make_org(central, national)
    statuses = [
        central.request(
            "POST", "/kiosk/appointments/find", org.device_token, json={"code": f"AAAA{n:04d}"}
        ).status_code
        for n in range(32)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429, 429]
    # A person's token is no kiosk's.
    r = central.request(
        "POST", "/kiosk/appointments/find", org.tokens["official"], json={"code": "AAAA2222"}
    )
    assert r.status_code in (401, 403)
