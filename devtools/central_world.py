"""Building blocks for API tests: users, organisations, sites and enrolled kiosks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from central.db.engine import session_scope
from central.db.models import User
from devtools.central_server import RunningCentral

PASSWORD = "correct horse battery staple"
# Test users' hashes are real argon2 with small parameters (they travel inside the
# hash, so central's verify is the real one): hundreds of users, seconds saved.
TEST_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)


def add_user(central: RunningCentral, role: str, org_id: str | None) -> str:
    """Create a user straight in the database (as `central user create` does) and a
    session for them as a login makes one (central/api/auth.py `new_session`): worlds
    make hundreds of people, and logging each in over HTTP was a tenth of the fast tier.
    Logging in itself is tested in tests/central/test_enrolment_and_auth.py."""
    from central.api.auth import new_session

    email = f"{role}-{uuid.uuid4().hex[:8]}@example.fi"
    with session_scope(central.app.state.sessions) as db:
        user = User(email=email, password_hash=TEST_PASSWORD_HASH, role=role, org_id=org_id)
        db.add(user)
        db.flush()
        token, _ = new_session(db, user.id, central.app.state.settings)
    return token


def login(central: RunningCentral, email: str, password: str = PASSWORD) -> str:
    r = central.request("POST", "/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


@dataclass
class Org:
    id: str
    site_id: str
    tokens: dict[str, str]
    kiosk_id: str = ""
    device_token: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def make_org(
    central: RunningCentral,
    national: str,
    with_kiosk: bool = True,
    name: str = "Kunta",
    interpretation_service: bool = False,
    ptv_id: str | None = None,
    timezone: str = "Europe/Helsinki",
) -> Org:
    """An organisation with one site, a user of every role and (optionally) one kiosk.
    `ptv_id`: the PTV organisation whose services are its own; `timezone`: its site's."""
    body: dict[str, Any] = {"name": name, "interpretation_service": interpretation_service}
    if ptv_id is not None:
        body["ptv_id"] = ptv_id
    org = ok(central.request("POST", "/organisations", national, json=body), 201)
    site = ok(
        central.request(
            "POST",
            f"/organisations/{org['id']}/sites",
            national,
            json={"name": "Yhteispalvelupiste", "timezone": timezone},
        ),
        201,
    )
    tokens = {
        role: add_user(central, role, org["id"])
        for role in ("org_admin", "technician", "official", "booking_system")
    }
    result = Org(id=org["id"], site_id=site["id"], tokens=tokens)
    if with_kiosk:
        result.kiosk_id, result.device_token = enrol(central, tokens["technician"], site["id"])
    return result


def enrol(
    central: RunningCentral, token: str, site_id: str, hardware_id: str | None = None
) -> tuple[str, str]:
    enrolment = ok(
        central.request("POST", f"/sites/{site_id}/enrollment-tokens", token, json={}), 201
    )
    body = {
        "token": enrolment["token"],
        "hardware_id": hardware_id or f"hw-{uuid.uuid4().hex}",
        "hostname": "kiosk-1",
        "software_version": "0.1.0",
    }
    enrolled = ok(central.request("POST", "/enroll", json=body), 201)
    return enrolled["kiosk_id"], enrolled["device_token"]


def user_id(central: RunningCentral, token: str) -> str:
    """The id of the user a token belongs to (the API has no "who am I" yet)."""
    from central.access.security import token_hash
    from central.db.models import AccessToken

    with session_scope(central.app.state.sessions) as db:
        row = db.get(AccessToken, token_hash(token))
        assert row is not None
        return row.user_id


def call_in_database(central: RunningCentral, org: Org, service_id: str, **fields: Any) -> str:
    """A call of the organisation's kiosk made straight in the database (queued unless
    `fields` say otherwise): for tests of what passes through central alone, whose
    central has no media server."""
    from central.db.models import Call

    with session_scope(central.app.state.sessions) as db:
        fields.setdefault("provider_id", org.id)
        fields.setdefault("kiosk_id", org.kiosk_id)
        call = Call(
            org_id=org.id, site_id=org.site_id, service_id=service_id, language="fi", **fields
        )
        db.add(call)
        db.flush()
        return call.id


def agree(
    central: RunningCentral,
    national: str,
    host_id: str,
    provider_id: str,
    kind: str = "service",
    **terms: Any,
) -> dict[str, Any]:
    """An agreement the national admin makes between two organisations, in force at once:
    by default every service of the provider at every site of the host, in Finnish,
    Swedish, English and Arabic, at a euro per call."""
    body = {
        "kind": kind,
        "host_org_id": host_id,
        "provider_org_id": provider_id,
        "languages": ["fi", "sv", "en", "ar", "ru", "so"],
        "valid_from": "2020-01-01",
        "basis": "per_call",
        "amount_cents": 100,
        "vat_basis_points": 2550,
        **terms,
    }
    return ok(central.request("POST", "/agreements", national, json=body), 201)
