"""Bookings: idempotent external ids, codes easy to type, validation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from contract import codes
from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import make_org, ok

SERVICE = sample_catalogue()["itemList"][0]["id"]


def _body(org, external_id, **over):
    return booking_request(org.site_id, external_id, SERVICE, minutes=20, mode="remote") | over


def test_same_external_id_returns_the_same_booking(central, national):
    org = make_org(central, national, with_kiosk=False)
    token = org.tokens["booking_system"]
    first = central.request("POST", "/bookings", token, json=_body(org, "x-1"))
    again = central.request("POST", "/bookings", token, json=_body(org, "x-1"))
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()


def test_codes_avoid_confusable_characters(central, national):
    org = make_org(central, national, with_kiosk=False)
    token = org.tokens["booking_system"]
    seen = set()
    for n in range(25):
        code = ok(central.request("POST", "/bookings", token, json=_body(org, f"c-{n}")), 201)[
            "code"
        ]
        plain = code.replace("-", "")
        assert len(plain) == codes.LENGTH and not set(plain) & set("0O1IL")
        seen.add(plain)
    assert len(seen) == 25


def test_typed_code_variants_match_the_hash():
    salt = secrets.token_hex(16)
    code = "ABCD2345"
    digest = codes.booking_code_hash(code, salt)
    assert codes.booking_code_hash("abcd-2345", salt) == digest
    assert codes.booking_code_hash(" ab cd 23 45 ", salt) == digest
    assert codes.booking_code_hash("ABCD2346", salt) != digest


def test_invalid_bookings_are_422_with_reason(central, national):
    org = make_org(central, national, with_kiosk=False)
    token = org.tokens["booking_system"]
    start = datetime.now(UTC)
    cases = {
        "ends_at": _body(org, "v1", ends_at=(start - timedelta(hours=1)).isoformat()),
        "starts_at": _body(org, "v2", starts_at="2026-01-01T10:00:00"),
        "mode": _body(org, "v3", mode="carrier-pigeon"),
        "display_name": _body(org, "v4", display_name="x" * 41),
    }
    for field, body in cases.items():
        r = central.request("POST", "/bookings", token, json=body)
        assert r.status_code == 422 and field in r.json()["error"]["message"], r.text
    r = central.request("POST", "/bookings", token, json=_body(org, "v5", service_id="nope"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_service"


def test_cancel_is_idempotent(central, national):
    org = make_org(central, national, with_kiosk=False)
    token = org.tokens["booking_system"]
    booking = ok(central.request("POST", "/bookings", token, json=_body(org, "k-1")), 201)
    for _ in range(2):
        assert (
            ok(central.request("DELETE", f"/bookings/{booking['id']}", token))["status"]
            == "cancelled"
        )


def test_card_booking_reaches_kiosks_only_as_a_salted_hash(central, national):
    org = make_org(central, national)
    token = org.tokens["booking_system"]
    card = "04a1b2c3d4e5f6"
    made = ok(
        central.request("POST", "/bookings", token, json=_body(org, "card-1", card_id=card)), 201
    )
    assert card not in str(made).lower()
    page = ok(central.request("GET", "/kiosk/bookings", org.device_token))
    [item] = [i for i in page["items"] if i["id"] == made["id"]]
    assert item["card_hash"] == codes.card_hash(card, item["code_salt"], item["code_hash_alg"])
    assert card not in str(page).lower()
    plain = ok(central.request("POST", "/bookings", token, json=_body(org, "card-2")), 201)
    assert [i["card_hash"] for i in page["items"] if i["id"] == plain["id"]] in ([], [None])
    bad = central.request("POST", "/bookings", token, json=_body(org, "card-3", card_id="not hex!"))
    assert bad.status_code == 422 and "card_id" in bad.text
