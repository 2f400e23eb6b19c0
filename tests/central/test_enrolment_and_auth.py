"""Enrolment tokens, device tokens, login and its throttling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from central.access.security import token_hash
from central.db.engine import session_scope
from central.db.models import EnrolmentToken, Kiosk
from devtools.central_world import PASSWORD, add_user, make_org, ok


def _token(central, org):
    return ok(
        central.request(
            "POST",
            f"/sites/{org.site_id}/enrollment-tokens",
            org.tokens["technician"],
            json={"expires_in_s": 3600},
        ),
        201,
    )


def test_enrolment_token_is_single_use_and_expires(central, national):
    org = make_org(central, national, with_kiosk=False)
    issued = _token(central, org)
    assert datetime.fromisoformat(issued["expires_at"]) > datetime.now(UTC) + timedelta(minutes=59)
    body = {"token": issued["token"], "hardware_id": f"hw-{uuid.uuid4()}"}
    enrolled = ok(central.request("POST", "/enroll", json=body), 201)
    assert enrolled["site"]["id"] == org.site_id and enrolled["config"]["version"] == 1
    assert enrolled["device_token"].startswith("dev_")
    used = central.request("POST", "/enroll", json=body)
    assert used.status_code == 410 and used.json()["error"]["code"] == "token_used"
    unknown = central.request("POST", "/enroll", json={**body, "token": "enr_nope"})
    assert unknown.status_code == 401

    expired = _token(central, org)
    with session_scope(central.app.state.sessions) as db:
        row = db.get(EnrolmentToken, token_hash(expired["token"]))
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = central.request("POST", "/enroll", json={**body, "token": expired["token"]})
    assert r.status_code == 410 and r.json()["error"]["code"] == "token_expired"


def test_device_token_is_stored_only_as_hash(central, national):
    org = make_org(central, national)
    with session_scope(central.app.state.sessions) as db:
        kiosk = db.get(Kiosk, org.kiosk_id)
        assert kiosk.device_token_hash == token_hash(org.device_token)
        assert org.device_token not in str(vars(kiosk))


def test_re_enrolling_same_hardware_replaces_the_device_token(central, national):
    org = make_org(central, national, with_kiosk=False)
    hardware_id = f"hw-{uuid.uuid4()}"
    first = ok(
        central.request(
            "POST",
            "/enroll",
            json={"token": _token(central, org)["token"], "hardware_id": hardware_id},
        ),
        201,
    )
    second = ok(
        central.request(
            "POST",
            "/enroll",
            json={"token": _token(central, org)["token"], "hardware_id": hardware_id},
        ),
        201,
    )
    assert first["kiosk_id"] == second["kiosk_id"]
    old = central.request("POST", "/kiosk/heartbeat", first["device_token"], json={})
    assert old.status_code == 401
    ok(central.request("POST", "/kiosk/heartbeat", second["device_token"], json={}))


def test_login_answers_the_same_for_unknown_email_and_wrong_password(central, national):
    r1 = central.request(
        "POST", "/auth/login", json={"email": "nobody@example.fi", "password": "whatever-123"}
    )
    r2 = central.request(
        "POST", "/auth/login", json={"email": "nobody@example.fi", "password": PASSWORD}
    )
    assert r1.status_code == r2.status_code == 401
    assert r1.json() == r2.json()


def test_repeated_failures_are_throttled_with_retry_after(central, national):
    add_user(central, "org_admin", make_org(central, national, with_kiosk=False).id)
    from sqlalchemy import select

    from central.db.models import User

    with session_scope(central.app.state.sessions) as db:
        email = db.scalars(select(User.email).order_by(User.created_at.desc())).first()
    wrong = {"email": email, "password": "wrong-password"}
    statuses = [central.request("POST", "/auth/login", json=wrong).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # Even the right password waits out the lock.
    r = central.request("POST", "/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "try again" in r.json()["error"]["message"]


def test_person_token_expiry(central, national):
    from central.db.models import AccessToken

    token = add_user(central, "national_admin", None)
    ok(central.request("GET", "/kiosks", token))
    with session_scope(central.app.state.sessions) as db:
        db.get(AccessToken, token_hash(token)).expires_at = datetime.now(UTC) - timedelta(1)
    assert central.request("GET", "/kiosks", token).status_code == 401
