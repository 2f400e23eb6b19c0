"""What one poll costs the database: the desk's (every 2 s, per official) and the
kiosk's in a queue (every second or two, per waiting citizen). Statements are counted
from the engine's own events on SQLite and PostgreSQL; the liveness they keep is
written again once a quarter of its limit has passed, not on every poll (issue 36:
800 pollers at 400 requests/s)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from contract.call_api import CallStatus
from devtools.builders import service_ids
from devtools.central_server import RunningCentral
from devtools.central_world import call_in_database, make_org, ok, user_id
from tests.support.statements import central_without_media, counted

# The desk_gone_after_s here: the official's "still here" is written every 1 s at most
# (0.5 s was too short for "right after another" on a loaded machine).
GONE_S = 4


@pytest.fixture(scope="module")
def central(database_url: str) -> Iterator[RunningCentral]:
    with central_without_media(
        database_url, desk_gone_after_s=GONE_S, call_kiosk_gone_after_s=GONE_S
    ) as running:
        yield running


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split()[0] in ("UPDATE", "INSERT", "DELETE")]


@pytest.fixture(scope="module")
def world(central: RunningCentral, national: str) -> dict:
    org = make_org(central, national)
    service = service_ids()[0]
    official = org.tokens["official"]
    me = user_id(central, official)
    body = {"services": [service], "languages": ["fi"]}
    ok(central.request("PUT", f"/officials/{me}", org.tokens["org_admin"], json=body))
    ok(central.request("PUT", "/desk/presence", official, json={"presence": "available"}))
    queued = [call_in_database(central, org, service) for _ in range(3)]
    active = call_in_database(
        central, org, service, status=CallStatus.ACTIVE, official_id=me, room="room-cost"
    )
    return {"org": org, "official": official, "queued": queued, "active": active}


def test_a_desk_poll_in_a_call_reads_once_and_writes_only_when_due(central, world):
    official = world["official"]
    ok(central.request("GET", "/desk/state?after=0", official))  # writes "still here"
    with counted(central) as statements:
        state = ok(central.request("GET", "/desk/state?after=0", official))
    assert state["active"]["id"] == world["active"]
    assert len(state["waiting"]) == 3 and state["waiting"][0]["site_name"]
    assert state["active"]["service_name"] and state["active"]["municipality"]
    assert state["active"]["join"]["display"].startswith("official:Kunta")
    # Was 23 (each name read whole, per call, twice; documents per direction; the
    # presence's own look-up of the active call; the caller read twice).
    assert len(statements) <= 15, "\n".join(s[:100] for s in statements)
    assert writes(statements) == [], "a poll right after another writes nothing"

    time.sleep(GONE_S / 4 + 0.1)
    with counted(central) as statements:
        state = ok(central.request("GET", "/desk/state?after=0", official))
    written = writes(statements)
    assert any("official_profiles" in s for s in written), written
    assert state["presence"] == "busy"


def test_a_queued_kiosk_poll_reads_its_place_in_a_few_statements(central, world):
    org = world["org"]
    last = world["queued"][-1]
    first = ok(central.request("GET", f"/kiosk/calls/{last}?after=0", org.device_token))
    with counted(central) as statements:
        again = ok(central.request("GET", f"/kiosk/calls/{last}?after=0", org.device_token))
    assert again["position"] == first["position"] == 3
    assert again["estimated_wait_s"] == first["estimated_wait_s"]
    # Was 10: the staffing behind the estimate (every official of the provider) is read
    # at most every 3 s per service and language; a queued call has no chat or
    # documents to read yet.
    assert len(statements) <= 4, "\n".join(statements)
    assert writes(statements) == []

    time.sleep(GONE_S / 4 + 0.1)
    with counted(central) as statements:
        ok(central.request("GET", f"/kiosk/calls/{last}?after=0", org.device_token))
    assert any("kiosk_seen_at" in s for s in writes(statements)), statements


@pytest.mark.slow  # waits out the limits
def test_a_quiet_official_still_turns_away_and_a_quiet_kiosk_leaves_the_queue(central, world):
    """Written less often, liveness still ends: the desk that stops polling is away after
    `desk_gone_after_s`, the kiosk that stops has left the queue after its limit."""
    org = world["org"]
    other = call_in_database(central, org, service_ids()[0])
    ok(central.request("GET", f"/kiosk/calls/{other}?after=0", org.device_token))
    time.sleep(GONE_S + 0.5)
    rows = ok(central.request("GET", "/officials", org.tokens["org_admin"]))["items"]
    official = next(r for r in rows if r["user_id"] == user_id(central, world["official"]))
    assert official["presence"] in ("away", "busy")
    state = ok(central.request("GET", "/desk/state?after=0", world["official"]))
    assert other not in [w["call_id"] for w in state["waiting"]]
