"""A kiosk's whole life against a running central, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from contract import codes
from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import make_org, ok

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]


def test_enrolled_kiosk_syncs_catalogue_config_and_bookings(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", admin, json={"service_ids": SERVICES[:5]}
        )
    )

    catalogue = ok(central.request("GET", "/kiosk/catalogue", org.device_token))
    assert [i["id"] for i in catalogue["items"]] == SERVICES[:5]
    assert catalogue["deleted"] == [] and catalogue["has_more"] is False
    first = catalogue["items"][0]
    assert first["name"]["fi"] == "Yleinen asumistuki"
    assert first["name"]["sv"] == "Allmänt bostadsbidrag"
    assert first["organisation"]["name"]["fi"] == "Kansaneläkelaitos Kela"
    assert {c["type"] for c in first["channels"]} == {"electronic", "phone", "remote_video"}
    assert first["remote_video"] is True and first["identification"] == "strong"

    # Nothing changed: the cursor gives an empty delta.
    again = ok(
        central.request(
            "GET", "/kiosk/catalogue", org.device_token, params={"since": catalogue["cursor"]}
        )
    )
    assert again["items"] == [] and again["deleted"] == []

    # Dropping a service from the site reaches the kiosk as a tombstone.
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", admin, json={"service_ids": SERVICES[:4]}
        )
    )
    delta = ok(
        central.request(
            "GET", "/kiosk/catalogue", org.device_token, params={"since": catalogue["cursor"]}
        )
    )
    assert delta["deleted"] == [SERVICES[4]] and delta["items"] == []

    # Config with ETag and 304.
    r = central.request("GET", "/kiosk/config", org.device_token)
    config = ok(r)
    assert config["version"] == 1 and config["languages"] == ["fi", "sv", "en"]
    etag = r.headers["ETag"]
    r = central.request("GET", "/kiosk/config", org.device_token, headers={"If-None-Match": etag})
    assert r.status_code == 304
    ok(
        central.request(
            "PATCH",
            f"/sites/{org.site_id}/config",
            admin,
            json={"idle_timeout_s": 90, "maintenance": True},
        )
    )
    r = central.request("GET", "/kiosk/config", org.device_token, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["idle_timeout_s"] == 90 and r.headers["ETag"] != etag

    # A booking for today reaches the kiosk as a salted hash, never the code.
    start = datetime.now(UTC) + timedelta(hours=1)
    booking = ok(
        central.request(
            "POST",
            "/bookings",
            org.tokens["booking_system"],
            json=booking_request(
                org.site_id, "ext-1", SERVICES[0], start, display_name="Maija V.", mode="in_person"
            ),
        ),
        201,
    )
    bookings = ok(central.request("GET", "/kiosk/bookings", org.device_token))
    [item] = bookings["items"]
    assert item["id"] == booking["id"] and "code" not in item
    assert booking["code"].replace("-", "") not in str(item)
    assert item["code_hash"] == codes.booking_code_hash(
        booking["code"].lower(), item["code_salt"], item["code_hash_alg"]
    )

    # Check-in, replayed after an offline period, answers the same.
    checkin = {
        "event_id": str(uuid.uuid4()),
        "booking_id": booking["id"],
        "at": datetime.now(UTC).isoformat(),
    }
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=checkin))["status"]
        == "checked_in"
    )
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=checkin))["status"]
        == "checked_in"
    )
    second = {**checkin, "event_id": str(uuid.uuid4())}
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=second))["status"]
        == "already_checked_in"
    )

    # Cancellation reaches the kiosk as a deletion, and check-in then says cancelled.
    ok(central.request("DELETE", f"/bookings/{booking['id']}", org.tokens["booking_system"]))
    delta = ok(
        central.request(
            "GET", "/kiosk/bookings", org.device_token, params={"since": bookings["cursor"]}
        )
    )
    assert booking["id"] in delta["deleted"]
    third = {**checkin, "event_id": str(uuid.uuid4())}
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=third))["status"]
        == "cancelled"
    )
    unknown = {**checkin, "event_id": str(uuid.uuid4()), "booking_id": str(uuid.uuid4())}
    assert (
        ok(central.request("POST", "/kiosk/checkins", org.device_token, json=unknown))["status"]
        == "unknown"
    )


def test_heartbeat_hands_out_commands_and_records_health(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    listed = ok(central.request("GET", "/kiosks", admin))["items"]
    assert [k["id"] for k in listed] == [org.kiosk_id] and listed[0]["online"] is False

    command = ok(
        central.request(
            "POST", f"/kiosks/{org.kiosk_id}/commands", admin, json={"type": "screenshot"}
        ),
        201,
    )
    assert command["status"] == "pending"
    beat = {
        "software_version": "0.1.0",
        "config_version": 1,
        "uptime_s": 12.5,
        "outbox_depth": 3,
        "dropped_events": 0,
        "ui": {"state": "idle", "since": "2026-01-01T00:00:00Z"},
        "devices": [
            {
                "kind": "printer",
                "name": "receipt",
                "state": "needs_attention",
                "detail": {"paper": "low"},
            }
        ],
        "disk_free_mb": 1200,
        "system": {
            "root_read_only": True,
            "state_mount": ["rw", "nosuid", "nodev", "noexec", "noatime"],
            "ssh": "not installed",
            "unattended_upgrades": True,
            "console_logins": False,
        },
    }
    answer = ok(central.request("POST", "/kiosk/heartbeat", org.device_token, json=beat))
    assert [c["id"] for c in answer["commands"]] == [command["id"]]
    assert answer["config_version"] == 1 and "server_time" in answer
    # Handed out once: the next heartbeat does not repeat it.
    answer = ok(central.request("POST", "/kiosk/heartbeat", org.device_token, json=beat))
    assert answer["commands"] == []
    status = ok(central.request("GET", f"/kiosks/{org.kiosk_id}/commands/{command['id']}", admin))
    assert status["status"] == "delivered"

    kiosk = ok(central.request("GET", f"/kiosks/{org.kiosk_id}", admin))
    assert kiosk["online"] is True and kiosk["outbox_depth"] == 3
    assert kiosk["devices"][0]["detail"] == {"paper": "low"}
    assert kiosk["health"]["disk_free_mb"] == 1200
    assert kiosk["health"]["system"] == beat["system"]  # the box's settings, for the console

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    ok(
        central.request(
            "PUT",
            f"/kiosk/commands/{command['id']}/artifact",
            org.device_token,
            data=png,
            headers={"Content-Type": "image/png"},
        )
    )
    ok(
        central.request(
            "POST",
            f"/kiosk/commands/{command['id']}/result",
            org.device_token,
            json={"status": "succeeded", "detail": "saved"},
        )
    )
    status = ok(central.request("GET", f"/kiosks/{org.kiosk_id}/commands/{command['id']}", admin))
    assert status["status"] == "succeeded" and status["detail"] == "saved"
    artifact = central.request("GET", status["artifact_url"].removeprefix("/api/v1"), admin)
    assert artifact.status_code == 200 and artifact.content == png
    assert artifact.headers["content-type"] == "image/png"

    not_png = central.request(
        "PUT",
        f"/kiosk/commands/{command['id']}/artifact",
        org.device_token,
        data=b"GIF89a",
        headers={"Content-Type": "image/png"},
    )
    assert not_png.status_code == 422 and not_png.json()["error"]["code"] == "invalid_png"
    clash = central.request(
        "POST",
        f"/kiosk/commands/{command['id']}/result",
        org.device_token,
        json={"status": "failed"},
    )
    assert clash.status_code == 409


def test_a_heartbeat_hands_out_several_commands_oldest_first_with_their_args(central, national):
    # PostgreSQL hands them out inside the heartbeat's one statement (fleet/heartbeats.py).
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    sent = [
        ok(central.request("POST", f"/kiosks/{org.kiosk_id}/commands", admin, json=body), 201)
        for body in (
            {"type": "screenshot"},
            {"type": "restart_ui"},
            {"type": "sync_now", "args": {"why": "test"}},
        )
    ]
    answer = ok(central.request("POST", "/kiosk/heartbeat", org.device_token, json={}))
    assert [c["id"] for c in answer["commands"]] == [c["id"] for c in sent]
    assert [c["args"] for c in answer["commands"]] == [{}, {}, {"why": "test"}]
    assert (
        ok(central.request("POST", "/kiosk/heartbeat", org.device_token, json={}))["commands"] == []
    )


def test_command_expires_when_never_delivered(central, national):
    org = make_org(central, national)
    admin = org.tokens["org_admin"]
    command = ok(
        central.request(
            "POST",
            f"/kiosks/{org.kiosk_id}/commands",
            admin,
            json={"type": "reboot", "expires_in_s": 60},
        ),
        201,
    )
    from central.db.engine import session_scope
    from central.db.models import Command

    with session_scope(central.app.state.sessions) as db:
        db.get(Command, command["id"]).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    answer = ok(central.request("POST", "/kiosk/heartbeat", org.device_token, json={}))
    assert answer["commands"] == []
    status = ok(central.request("GET", f"/kiosks/{org.kiosk_id}/commands/{command['id']}", admin))
    assert status["status"] == "expired"


def test_openapi_documents_what_kiosks_read(central):
    """The kiosk contract's answers have schemas, built from contract/kiosk_api.py."""
    spec = central.app.openapi()

    def answer_schema(method, path, status="200"):
        content = spec["paths"]["/api/v1" + path][method]["responses"][status]["content"]
        return content["application/json"]["schema"]

    expected = {
        ("post", "/enroll", "201"): "Enrolment",
        ("post", "/kiosk/heartbeat", "200"): "HeartbeatAnswer",
        ("post", "/kiosk/token", "200"): "DeviceToken",
        ("get", "/kiosk/catalogue", "200"): "Delta",
        ("get", "/kiosk/bookings", "200"): "BookingsDelta",
        ("post", "/kiosk/checkins", "200"): "CheckInAnswer",
        ("post", "/kiosk/events", "200"): "EventsAnswer",
        ("post", "/kiosk/commands/{command_id}/result", "200"): "CommandResult",
    }
    for (method, path, status), name in expected.items():
        assert answer_schema(method, path, status)["$ref"].endswith("/" + name), (path, name)
    booking = spec["components"]["schemas"]["KioskBooking"]
    assert {"code_hash", "code_salt", "code_hash_alg"} <= set(booking["required"])
    assert "code" not in booking["properties"]
