"""Tenancy: organisation A can neither read nor change anything of B, on every endpoint.

The matrix is checked against the app's own route table, so an endpoint
added later without a row here fails this test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from devtools.appointment_world import calendar_body, open_calendar
from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import agree, call_in_database, make_org, ok

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]
PERSON_ROLES = ("org_admin", "technician", "official", "booking_system")


@pytest.fixture(scope="module")
def orgs(central, national):
    a, b = make_org(central, national), make_org(central, national)
    admin_b = b.tokens["org_admin"]
    ok(
        central.request(
            "PUT", f"/sites/{b.site_id}/catalogue", admin_b, json={"service_ids": SERVICES[:3]}
        )
    )
    start = datetime.now(UTC) + timedelta(hours=2)
    b.extra["booking"] = ok(
        central.request(
            "POST",
            "/bookings",
            b.tokens["booking_system"],
            json=booking_request(
                b.site_id,
                "b-1",
                SERVICES[0],
                start,
                minutes=60,
                display_name="Pekka",
                mode="remote",
            ),
        ),
        201,
    )
    b.extra["command"] = ok(
        central.request(
            "POST", f"/kiosks/{b.kiosk_id}/commands", admin_b, json={"type": "screenshot"}
        ),
        201,
    )
    ok(
        central.request(
            "POST",
            "/kiosk/events",
            b.device_token,
            json={
                "events": [
                    {
                        "id": str(uuid.uuid4()),
                        "type": "session_started",
                        "at": datetime.now(UTC).isoformat(),
                        "data": {},
                    }
                ]
            },
        )
    )
    b.extra["user"] = ok(
        central.request(
            "POST",
            "/users",
            admin_b,
            json={
                "email": f"b-{uuid.uuid4().hex[:8]}@example.fi",
                "role": "technician",
                "password": "long enough password",
            },
        ),
        201,
    )
    b.extra["call"], b.extra["document"], b.extra["party"] = a_call_of(central, b)
    # B hosts a third organisation's officials under an agreement.
    b.extra["partner"] = make_org(central, national, with_kiosk=False, name="Virasto")
    b.extra["agreement"] = agree(central, national, b.id, b.extra["partner"].id)
    b.extra["deployment"] = ok(
        central.request(
            "POST", "/deployments", admin_b, json={"release": "9.9.9", "kiosk_ids": [b.kiosk_id]}
        ),
        201,
    )
    # B's official's appointment calendar and absence, and a time it offers at B's site.
    b.extra["calendar"] = open_calendar(
        central, admin_b, b.tokens["official"], SERVICES[0], notice_minutes=24 * 60
    )
    b.extra["absence"] = ok(
        central.request(
            "POST",
            "/absences",
            b.tokens["official"],
            json={
                "starts_at": (start + timedelta(days=20)).isoformat(),
                "ends_at": (start + timedelta(days=21)).isoformat(),
            },
        ),
        201,
    )
    b.extra["free_time"] = ok(
        central.request(
            "GET",
            "/appointments/free",
            b.tokens["booking_system"],
            params={"service_id": SERVICES[0], "place": "service_point", "site_id": b.site_id},
        )
    )["times"][0]["starts_at"]
    b.extra["payment"] = _paid_at(central, b)
    return a, b


def _paid_at(central, org) -> str:
    """A payment made at B's kiosk, paid to B (written as central records one: opening it
    at the provider is tested in tests/central/payments/)."""
    from central.db.engine import session_scope
    from central.db.models import Payment
    from central.db.types import utcnow
    from central.payments.charging import receipt_number

    with session_scope(central.app.state.sessions) as db:
        payment = Payment(
            org_id=org.id,
            site_id=org.site_id,
            kiosk_id=org.kiosk_id,
            purpose="print",
            method="phone",
            status="paid",
            lines=[],
            amount_cents=150,
            vat_cents=30,
            receipt_number=receipt_number(),
            provider_ref="tx-b",
            expires_at=utcnow(),
        )
        db.add(payment)
        db.flush()
        return payment.id


def a_call_of(central, org):
    """A queued call of the organisation's kiosk, holding one scanned page and a request
    for an interpreter, made in the database: this module's central has no media server,
    and tenancy needs none."""
    from central.calls.documents import seal
    from central.db.engine import session_scope
    from central.db.models import CallDocument, CallParty

    call_id = call_in_database(central, org, SERVICES[0])
    with session_scope(central.app.state.sessions) as db:
        document = CallDocument(
            call_id=call_id,
            direction="from_citizen",
            name="scan.png",
            content_type="image/png",
            size=8,
            sealed=seal(central.app.state.secret_key, call_id, b"\x89PNG\r\n\x1a\n"),
        )
        db.add(document)
        party = CallParty(call_id=call_id, kind="interpreter", language="fi")
        db.add(party)
        db.flush()
        return call_id, document.id, party.id


API = "/api/v1"
PUBLIC = {
    ("POST", "/auth/login"),
    ("POST", "/enroll"),
    ("GET", "/health"),
    ("GET", "/health/ready"),
}
# A person's own account: nothing of another organisation to reach.
SELF = {
    ("POST", "/auth/logout"),
    ("POST", "/auth/password"),
    ("GET", "/desk/state"),
    ("PUT", "/desk/presence"),
    ("GET", "/desk/appointments"),
}
# Listings filter by the caller's organisation: test_listings_show_only_own_organisation.
LISTINGS = {
    ("GET", "/organisations"),
    ("GET", "/kiosks"),
    ("GET", "/stats/usage"),
    ("GET", "/users"),
    ("GET", "/officials"),
    ("GET", "/stats/calls"),
    ("GET", "/deployments"),
    ("GET", "/services/{service_id}/overlay"),
    ("GET", "/agreements"),
    ("GET", "/served-sites"),
    ("GET", "/appointment-calendars"),
    ("GET", "/absences"),
    ("GET", "/stats/bookings"),
    ("GET", "/payments"),
}
# The same for every signed-in person: the national expert directory.
NATIONAL_LISTS = {("GET", "/expert-directory")}


def spec_routes(app):
    """Every (method, path template, operation) of /openapi.json, without the /api/v1 prefix."""
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path.removeprefix(API), operation


def device_routes(app):
    return {(m, t) for m, t, _ in spec_routes(app) if t.startswith("/kiosk/")}


def targets(b):
    """What a path parameter of that name means in organisation B."""
    return {
        "org_id": b.id,
        "site_id": b.site_id,
        "kiosk_id": b.kiosk_id,
        "booking_id": b.extra["booking"]["id"],
        "command_id": b.extra["command"]["id"],
        "user_id": b.extra["user"]["id"],
        "call_id": b.extra["call"],
        "document_id": b.extra["document"],
        "party_id": b.extra["party"],
        "deployment_id": b.extra["deployment"]["id"],
        "service_id": SERVICES[0],
        "agreement_id": b.extra["agreement"]["id"],
        "calendar_id": b.extra["calendar"]["id"],
        "absence_id": b.extra["absence"]["id"],
        "payment_id": b.extra["payment"],
        "month": "2026-11",
    }


def bodies(b):
    """A valid body for each endpoint that takes one, aimed at B."""
    start = datetime.now(UTC) + timedelta(hours=3)
    return {
        ("POST", "/organisations"): {"name": "X"},
        ("POST", "/organisations/{org_id}/sites"): {"name": "X"},
        ("PATCH", "/organisations/{org_id}"): {"interpretation_service": True},
        ("PUT", "/organisations/{org_id}/retention"): {"usage_days": 1},
        ("POST", "/sites/{site_id}/enrollment-tokens"): {},
        ("PATCH", "/sites/{site_id}/config"): {"maintenance": True},
        ("PUT", "/sites/{site_id}/catalogue"): {"service_ids": SERVICES[5:6]},
        ("POST", "/catalogue/import"): sample_catalogue()["itemList"][0],
        ("PUT", "/organisations/{org_id}/ptv-sync"): {
            "api_base": "https://ptv.invalid",
            "ptv_organisation": "6bb71eb4-446b-57b1-8ce4-fc3715148d2d",
        },
        ("PUT", "/services/{service_id}/overlay"): {"site_id": b.site_id, "remote_video": True},
        ("POST", "/bookings"): booking_request(
            b.site_id,
            "b-1",
            SERVICES[0],
            start,
            minutes=60,
            display_name="Intruder",
            mode="in_person",
        ),
        ("POST", "/kiosks/{kiosk_id}/commands"): {"type": "self_test"},
        ("PUT", "/kiosks/{kiosk_id}/tags"): {"tags": ["pilot"]},
        ("PATCH", "/kiosks/{kiosk_id}"): {"name": "Renamed", "tags": ["pilot"]},
        ("POST", "/deployments"): {"release": "9.9.9", "kiosk_ids": [b.kiosk_id]},
        ("POST", "/users"): {
            "email": "intruder@example.fi",
            "role": "technician",
            "org_id": b.id,
            "password": "long enough password",
        },
        ("PATCH", "/users/{user_id}"): {"disabled": True},
        ("PUT", "/officials/{user_id}"): {"services": [], "languages": ["fi"]},
        ("POST", "/desk/calls/{call_id}/end"): {},
        ("PUT", "/desk/calls/{call_id}/identification"): {"level": "weak"},
        ("POST", "/desk/calls/{call_id}/identification/request"): {"method": "fineid"},
        ("POST", "/desk/calls/{call_id}/messages"): {"text": "x"},
        ("POST", "/desk/calls/{call_id}/documents"): {},
        ("POST", "/desk/calls/{call_id}/interpreter"): {"language": "ar"},
        ("POST", "/desk/calls/{call_id}/payments"): {"amount_cents": 100, "reason": "x"},
        # An agreement between B and its partner, proposed by someone of neither.
        ("POST", "/agreements"): {
            "host_org_id": b.id,
            "provider_org_id": b.extra["partner"].id,
            "languages": ["fi"],
            "valid_from": "2026-01-01",
            "basis": "per_call",
            "amount_cents": 1,
            "vat_basis_points": 0,
        },
        ("POST", "/agreements/{agreement_id}/accept"): {},
        ("POST", "/agreements/{agreement_id}/decline"): {},
        ("POST", "/agreements/{agreement_id}/end"): {},
        ("PUT", "/expert-directory/{org_id}"): {"note": "x"},
        ("POST", "/desk/calls/{call_id}/experts"): {
            "service_id": SERVICES[0],
            "organisation_id": b.id,
        },
        ("POST", "/appointment-calendars"): calendar_body(
            SERVICES[0], official_id=b.extra["calendar"]["official_id"]
        ),
        ("PUT", "/appointment-calendars/{calendar_id}"): calendar_body(SERVICES[0]),
        ("POST", "/absences"): {
            "official_id": b.extra["calendar"]["official_id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=1)).isoformat(),
        },
        ("PUT", "/organisations/{org_id}/payment-account"): {
            "merchant_id": "1",
            "secret": "intruder-secret",
        },
        ("PUT", "/sites/{site_id}/prices"): {"items": []},
        ("POST", "/payments/{payment_id}/refund"): {},
        ("POST", "/payments/settlement-reports"): {"day": "2026-12-07", "org_id": b.id},
        ("POST", "/appointments"): {
            "service_id": SERVICES[0],
            "place": "service_point",
            "site_id": b.site_id,
            "language": "fi",
            "starts_at": b.extra["free_time"],
            "name": "Intruder",
        },
    }


# Endpoints that name their target in the query rather than the path.
QUERIES = {("DELETE", "/auth/login-locks"): "email"}
# ... with more than one query parameter: the whole query, aimed at B.
FULL_QUERIES = {
    ("GET", "/appointments/free"): lambda b: (
        f"service_id={SERVICES[0]}&place=service_point&site_id={b.site_id}"
    ),
    ("GET", "/payments/reconciliation"): lambda b: f"day=2026-12-07&org_id={b.id}",
}


def person_matrix(app, b):
    """(method, template, concrete path, body) for every person endpoint of the spec, aimed at B.

    Generated from /openapi.json: an endpoint added later is in the matrix at once,
    and fails here until it says what its parameters and body mean in B.
    """
    values, known_bodies = targets(b), bodies(b)
    rows = []
    for method, template, operation in spec_routes(app):
        key = (method, template)
        if key in PUBLIC | SELF | LISTINGS | NATIONAL_LISTS or template.startswith("/kiosk/"):
            continue
        path = template
        for param in operation.get("parameters", []):
            if param["in"] == "path":
                assert param["name"] in values, f"{key}: say what {param['name']} is in B"
                path = path.replace("{" + param["name"] + "}", values[param["name"]])
        if key in QUERIES:
            path += f"?{QUERIES[key]}={b.extra['user']['email']}"
        if key in FULL_QUERIES:
            path += "?" + FULL_QUERIES[key](b)
        if "requestBody" in operation:
            assert key in known_bodies, f"{key}: add a body aimed at B to bodies()"
        rows.append((method, template, path, known_bodies.get(key)))
    rows.append(("GET", "/stats/usage", f"/stats/usage?site_id={b.site_id}", None))
    return rows


def test_matrix_covers_every_route(central, orgs):
    _, b = orgs
    matrix = {(m, t) for m, t, _, _ in person_matrix(central.app, b)}
    spec = {(m, t) for m, t, _ in spec_routes(central.app)}
    assert len(spec) > 30, "the spec lists the API's endpoints"
    assert spec == matrix | PUBLIC | SELF | LISTINGS | NATIONAL_LISTS | device_routes(central.app)
    assert (PUBLIC | SELF | LISTINGS) <= spec, "a listed endpoint is gone from the spec"


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_other_organisation_is_out_of_reach(central, orgs, role):
    a, b = orgs
    for method, _, path, body in person_matrix(central.app, b):
        r = central.request(method, path, a.tokens[role], json=body)
        assert r.status_code in (403, 404), f"{role} {method} {path}: {r.status_code} {r.text}"
        assert set(r.json()) == {"error"} and r.json()["error"]["message"]


def test_listings_show_only_own_organisation(central, orgs):
    a, b = orgs
    admin = a.tokens["org_admin"]
    assert [k["id"] for k in ok(central.request("GET", "/kiosks", admin))["items"]] == [a.kiosk_id]
    assert (
        ok(central.request("GET", "/kiosks", admin, params={"site_id": b.site_id}))["items"] == []
    )
    assert [o["id"] for o in ok(central.request("GET", "/organisations", admin))["items"]] == [a.id]
    assert ok(central.request("GET", "/stats/usage", admin))["total"] == 0
    assert ok(central.request("GET", "/deployments", admin))["items"] == []
    # B's agreement with its partner is theirs: A lists neither it nor the sites it covers.
    assert ok(central.request("GET", "/agreements", admin))["items"] == []
    assert ok(central.request("GET", "/served-sites", admin))["items"] == []
    assert ok(central.request("GET", "/payments", admin))["items"] == []
    # B's own overlay on a service is B's: A's admin lists only A's sites' rows.
    ok(
        central.request(
            "PUT",
            f"/services/{SERVICES[6]}/overlay",
            b.tokens["org_admin"],
            json={"site_id": b.site_id, "identification": "strong"},
        )
    )
    assert ok(central.request("GET", f"/services/{SERVICES[6]}/overlay", admin)) == []
    listed = ok(central.request("GET", f"/services/{SERVICES[6]}/overlay", b.tokens["org_admin"]))
    assert [r["site_id"] for r in listed] == [b.site_id]
    ok(
        central.request(
            "PUT",
            f"/services/{SERVICES[6]}/overlay",
            b.tokens["org_admin"],
            json={"site_id": b.site_id},
        )
    )


def test_b_is_unchanged_after_the_attempts(central, orgs):
    a, b = orgs
    admin_b = b.tokens["org_admin"]
    booking = ok(central.request("GET", f"/bookings/{b.extra['booking']['id']}", admin_b))
    assert booking["status"] == "booked" and booking["display_name"] == "Pekka"
    assert (
        ok(central.request("GET", f"/sites/{b.site_id}/config", admin_b))["kiosk"]["version"] == 1
    )
    kiosk = ok(central.request("GET", f"/kiosks/{b.kiosk_id}", admin_b))
    assert [c["id"] for c in kiosk["recent_commands"]] == [b.extra["command"]["id"]]
    assert (
        ok(central.request("GET", f"/organisations/{b.id}/sites", admin_b))["items"][0]["id"]
        == b.site_id
    )
    assert len(ok(central.request("GET", f"/organisations/{b.id}/sites", admin_b))["items"]) == 1
    catalogue = ok(central.request("GET", "/kiosk/catalogue", b.device_token))
    assert [i["id"] for i in catalogue["items"]] == SERVICES[:3]
    payment = ok(central.request("GET", f"/payments/{b.extra['payment']}", admin_b))
    assert payment["status"] == "paid" and payment["refunded_cents"] == 0
    assert ok(central.request("GET", f"/sites/{b.site_id}/prices", admin_b))["items"] == []


def test_device_token_reaches_only_its_own_kiosk(central, orgs):
    a, b = orgs
    command = b.extra["command"]
    r = central.request(
        "POST",
        f"/kiosk/commands/{command['id']}/result",
        a.device_token,
        json={"status": "succeeded"},
    )
    assert r.status_code == 404
    r = central.request(
        "PUT",
        f"/kiosk/commands/{command['id']}/artifact",
        a.device_token,
        data=b"\x89PNG\r\n\x1a\n",
        headers={"Content-Type": "image/png"},
    )
    assert r.status_code == 404
    r = central.request(
        "POST",
        "/kiosk/checkins",
        a.device_token,
        json={
            "event_id": str(uuid.uuid4()),
            "booking_id": b.extra["booking"]["id"],
            "at": datetime.now(UTC).isoformat(),
        },
    )
    assert ok(r)["status"] == "unknown"
    assert ok(central.request("GET", "/kiosk/bookings", a.device_token))["items"] == []
    assert ok(central.request("GET", "/kiosk/catalogue", a.device_token))["items"] == []
    for method, suffix in (("GET", ""), ("POST", "/cancel")):
        r = central.request(method, f"/kiosk/payments/{b.extra['payment']}{suffix}", a.device_token)
        assert r.status_code == 404 and "150" not in r.text


def test_device_token_never_works_on_person_endpoints(central, orgs):
    a, b = orgs
    for method, _, path, body in person_matrix(central.app, b):
        r = central.request(method, path, a.device_token, json=body)
        assert r.status_code == 403, f"{method} {path}: {r.status_code}"
    for method, path in LISTINGS | NATIONAL_LISTS:
        assert central.request(method, path, a.device_token).status_code == 403
    for method, path in SELF:
        assert central.request(method, path, a.device_token, json={}).status_code == 403


@pytest.mark.parametrize("role", (*PERSON_ROLES, "national_admin"))
def test_person_token_never_works_on_kiosk_endpoints(central, national, orgs, role):
    a, _ = orgs
    token = national if role == "national_admin" else a.tokens[role]
    for method, template in device_routes(central.app):
        path = template.replace("{command_id}", str(uuid.uuid4()))
        path = path.replace("{payment_id}", str(uuid.uuid4()))
        r = central.request(method, path, token, json={})
        assert r.status_code == 403, f"{role} {method} {path}: {r.status_code}"


def test_missing_or_unknown_tokens_are_401(central, orgs):
    _, b = orgs
    for method, _, path, body in person_matrix(central.app, b):
        assert central.request(method, path, None, json=body).status_code == 401
        assert central.request(method, path, "usr_forged", json=body).status_code == 401
    for method, template in device_routes(central.app):
        path = template.replace("{command_id}", "x").replace("{payment_id}", "x")
        r = central.request(method, path, "dev_forged", json={})
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_roles_limit_what_own_organisation_may_do(central, orgs):
    a, _ = orgs
    official, booking_system = a.tokens["official"], a.tokens["booking_system"]
    assert central.request("GET", "/kiosks", official).status_code == 403
    assert central.request("GET", "/kiosks", booking_system).status_code == 403
    assert (
        central.request(
            "PATCH",
            f"/sites/{a.site_id}/config",
            a.tokens["technician"],
            json={"maintenance": True},
        ).status_code
        == 403
    )
    r = central.request(
        "POST", f"/kiosks/{a.kiosk_id}/commands", a.tokens["technician"], json={"type": "reboot"}
    )
    assert r.status_code == 403
    ok(
        central.request(
            "POST",
            f"/kiosks/{a.kiosk_id}/commands",
            a.tokens["technician"],
            json={"type": "self_test"},
        ),
        201,
    )
    assert (
        central.request(
            "POST", "/catalogue/import", a.tokens["org_admin"], json={"itemList": []}
        ).status_code
        == 403
    )
