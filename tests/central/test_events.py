"""Usage event ingestion: idempotent, per-event validation, limits, privacy, statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from devtools.builders import sample_catalogue
from devtools.central_world import make_org, ok

SERVICE = sample_catalogue()["itemList"][0]["id"]


def event(type_="session_started", data=None, at=None, **extra):
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "at": at or datetime.now(UTC).isoformat(),
        "session_id": "s-1",
        "data": data or {},
    } | extra


def test_replay_changes_nothing(central, national):
    org = make_org(central, national)
    batch = {"events": [event(), event("service_viewed", {"service_id": SERVICE})]}
    first = ok(central.request("POST", "/kiosk/events", org.device_token, json=batch))
    assert sorted(first["accepted"]) == sorted(e["id"] for e in batch["events"])
    again = ok(central.request("POST", "/kiosk/events", org.device_token, json=batch))
    assert again["accepted"] == [] and sorted(again["duplicates"]) == sorted(first["accepted"])
    stats = ok(
        central.request(
            "GET", "/stats/usage", org.tokens["org_admin"], params={"group_by": "event_type"}
        )
    )
    assert stats["items"] == [
        {"key": "service_viewed", "count": 1},
        {"key": "session_started", "count": 1},
    ]


def test_bad_events_are_rejected_one_by_one(central, national):
    org = make_org(central, national)
    good = event("satisfaction", {"score": 4})
    bad = {
        "type": event("teleported"),
        "score": event("satisfaction", {"score": 9}),
        "naive": event(at="2026-01-01T10:00:00"),
        "future": event(at=(datetime.now(UTC) + timedelta(days=3)).isoformat()),
        "hetu": event("search", {"query": "131052-308T"}),
        "digits": event("search", {"query": "passi 2026"}),
        "name": event("booking_checked_in", {"display_name": "Maija"}),
        "id": event() | {"id": "123"},
        "shape": "not an object",
    }
    batch = {"events": [good, *bad.values()]}
    result = ok(central.request("POST", "/kiosk/events", org.device_token, json=batch))
    assert result["accepted"] == [good["id"]]
    assert len(result["rejected"]) == len(bad)
    errors = [r["error"] for r in result["rejected"]]
    assert any("unknown event type" in e for e in errors)
    assert any("1 to 5" in e for e in errors)
    assert any("offset" in e for e in errors)
    assert any("future" in e for e in errors)
    assert any("identity code" in e for e in errors)
    assert any("digits" in e for e in errors)
    assert any("personal fields" in e for e in errors)
    assert any("UUID" in e for e in errors)


def test_batch_limits_are_413(central, national):
    org = make_org(central, national)
    too_many = {"events": [event() for _ in range(501)]}
    r = central.request("POST", "/kiosk/events", org.device_token, json=too_many)
    assert r.status_code == 413 and "500" in r.json()["error"]["message"]
    big = {"events": [event(data={"blob": "x" * 4000}) for _ in range(300)]}
    r = central.request("POST", "/kiosk/events", org.device_token, json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    exactly = {"events": [event() for _ in range(500)]}
    assert (
        len(
            ok(central.request("POST", "/kiosk/events", org.device_token, json=exactly))["accepted"]
        )
        == 500
    )


def test_stats_group_by_day_service_kiosk(central, national):
    org = make_org(central, national)
    helsinki_late = "2026-03-10T23:30:00+02:00"  # 21:30 UTC, still the 10th locally
    batch = [
        event("service_viewed", {"service_id": SERVICE}, at=helsinki_late),
        event("service_viewed", {"service_id": SERVICE}, at="2026-03-11T09:00:00+02:00"),
        event("ticket_printed", at="2026-03-11T09:05:00+02:00"),
    ]
    ok(central.request("POST", "/kiosk/events", org.device_token, json={"events": batch}))
    admin = org.tokens["org_admin"]
    by_day = ok(
        central.request(
            "GET",
            "/stats/usage",
            admin,
            params={
                "group_by": "day",
                "from": "2026-03-10",
                "to": "2026-03-11",
                "site_id": org.site_id,
            },
        )
    )
    assert by_day["items"] == [{"key": "2026-03-10", "count": 1}, {"key": "2026-03-11", "count": 2}]
    by_service = ok(
        central.request(
            "GET",
            "/stats/usage",
            admin,
            params={"group_by": "service", "event_type": "service_viewed"},
        )
    )
    assert by_service["items"] == [{"key": SERVICE, "count": 2}]
    by_kiosk = ok(central.request("GET", "/stats/usage", admin, params={"group_by": "kiosk"}))
    assert by_kiosk["items"] == [{"key": org.kiosk_id, "count": 3}]
    bad = central.request("GET", "/stats/usage", admin, params={"from": "yesterday"})
    assert bad.status_code == 422


def test_nul_and_non_finite_numbers_are_refused_at_the_door(central, national):
    org = make_org(central, national)
    nul = central.request(
        "POST",
        "/kiosk/events",
        org.device_token,
        data=b'{"events": [{"id": "a\\u0000"}]}',
        headers={"Content-Type": "application/json"},
    )
    assert nul.status_code == 400 and nul.json()["error"]["code"] == "nul_character"
    escaped = central.request(
        "POST",
        "/kiosk/events",
        org.device_token,
        data=b'{"events": [], "note": "C:\\\\u0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert escaped.status_code == 200  # a literal backslash-u is text, not NUL
    nan = central.request(
        "POST",
        "/kiosk/heartbeat",
        org.device_token,
        data=b'{"uptime_s": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert nan.status_code == 400 and "NaN" in nan.json()["error"]["message"]
    query = central.request("GET", "/kiosk/catalogue?since=%00", org.device_token)
    assert query.status_code == 400
