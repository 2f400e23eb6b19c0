"""A desk's poll with nothing new is answered 304 from change marks (issue 36), and every
change a desk must see still reaches it at its next poll: each test below changes one
thing through the API (or the database, as the kiosk's silence is) and polls with the
tag of the answer before. Attackers with valid accounts of another kind cannot use a tag
to learn anything of someone else's desk."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from central.calls.poll_tags import FULL_EVERY_S, PollTag
from central.db.engine import session_scope
from central.db.models import Call
from central.db.types import utcnow
from contract.call_api import CallStatus
from devtools.builders import service_ids
from devtools.central_server import RunningCentral
from devtools.central_world import add_user, agree, call_in_database, make_org, ok, user_id
from tests.support import statements as support
from tests.support.statements import central_without_media, counted

GONE_S = 4


@pytest.fixture(scope="module")
def central(database_url: str) -> Iterator[RunningCentral]:
    with central_without_media(
        database_url, desk_gone_after_s=GONE_S, call_kiosk_gone_after_s=60
    ) as running:
        yield running


@pytest.fixture(scope="module")
def world(central: RunningCentral, national: str) -> dict:
    org = make_org(central, national)
    service = service_ids()[0]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": [service]}
        )
    )
    people = {}
    for name in ("anna", "bert"):
        token = add_user(central, "official", org.id)
        people[name] = token
        body = {"services": [service], "languages": ["fi"]}
        ok(
            central.request(
                "PUT", f"/officials/{user_id(central, token)}", org.tokens["org_admin"], json=body
            )
        )
        ok(central.request("PUT", "/desk/presence", token, json={"presence": "available"}))
    agency = make_org(central, national, with_kiosk=False, interpretation_service=True)
    agree(central, national, org.id, agency.id, "interpretation")
    interpreter = add_user(central, "interpreter", agency.id)
    body = {"services": [], "languages": ["ar"]}
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, interpreter)}",
            agency.tokens["org_admin"],
            json=body,
        )
    )
    ok(central.request("PUT", "/desk/presence", interpreter, json={"presence": "available"}))
    other = make_org(central, national, with_kiosk=False, name="Toinen")
    stranger = add_user(central, "official", other.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, stranger)}",
            other.tokens["org_admin"],
            json={"services": [service], "languages": ["fi"]},
        )
    )
    return {
        "org": org,
        "service": service,
        "anna": people["anna"],
        "bert": people["bert"],
        "interpreter": interpreter,
        "stranger": stranger,
        "other": other,
    }


def poll(central: RunningCentral, token: str, tag: str | None = None, after: int = 0):
    headers = {"If-None-Match": tag} if tag else {}
    return central.request("GET", f"/desk/state?after={after}", token, headers=headers)


def settled(central: RunningCentral, token: str, after: int = 0) -> tuple[dict, str]:
    return support.settled(lambda tag: poll(central, token, tag, after), "desk")


def changed(central: RunningCentral, token: str, tag: str, after: int = 0) -> dict:
    return support.changed(lambda tag: poll(central, token, tag, after), tag)


def test_an_unchanged_desk_is_answered_304_in_two_statements(central, world):
    official = world["anna"]
    _state, tag = settled(central, official)
    with counted(central) as statements:
        response = poll(central, official, tag)
    assert response.status_code == 304 and response.content == b""
    assert response.headers["ETag"] == tag
    # The token's check and one read of the marks (a full idle poll: 10).
    assert len(statements) <= 2, "\n".join(statements)

    # "Still here" is kept by 304s too, a quarter of desk_gone_after_s apart.
    time.sleep(GONE_S / 4 + 0.1)
    with counted(central) as statements:
        assert poll(central, official, tag).status_code == 304
    assert any(s.startswith("UPDATE official_profiles") for s in statements), statements


def test_a_new_call_and_its_end_reach_the_desk(central, world):
    org, official = world["org"], world["anna"]
    _state, tag = settled(central, official)
    call = call_in_database(central, org, world["service"])  # as a kiosk's call is made
    state = changed(central, official, tag)
    assert call in [w["call_id"] for w in state["waiting"]]
    _state, tag = settled(central, official)
    ok(
        central.request(
            "POST", f"/kiosk/calls/{call}/end", org.device_token, json={"outcome": "left_queue"}
        )
    )
    state = changed(central, official, tag)
    assert call not in [w["call_id"] for w in state["waiting"]]


def test_the_active_calls_changes_reach_the_desk(central, world):
    org, official = world["org"], world["bert"]
    me = user_id(central, official)
    call = call_in_database(
        central, org, world["service"], status=CallStatus.ACTIVE, official_id=me, room="r-poll"
    )
    state, tag = settled(central, official)
    assert state["active"]["id"] == call and state["active"]["kiosk_connected"]

    # The citizen writes.
    path = f"/kiosk/calls/{call}"
    ok(central.request("POST", f"{path}/messages", org.device_token, json={"text": "Hei"}), 201)
    state = changed(central, official, tag)
    assert [m["text"] for m in state["active"]["messages"]] == ["Hei"]
    last = state["active"]["messages"][-1]["id"]

    # The kiosk's link turns poor.
    state, tag = settled(central, official, after=last)
    ok(central.request("GET", f"{path}?after={last}&link=poor", org.device_token))
    assert changed(central, official, tag, last)["active"]["kiosk_link"] == "poor"

    # The kiosk falls silent: nothing is written, the time alone tells.
    state, tag = settled(central, official, after=last)
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(Call)
            .where(Call.id == call)
            .values(kiosk_seen_at=utcnow() - timedelta(seconds=30))
        )
    assert changed(central, official, tag, last)["active"]["kiosk_connected"] is False

    # The official asks for an interpreter: the interpreter's desk learns at once.
    _istate, itag = settled(central, world["interpreter"])
    ok(
        central.request(
            "POST", f"/desk/calls/{call}/interpreter", official, json={"language": "ar"}
        )
    )
    asked = changed(central, world["interpreter"], itag)
    assert [r["language"] for r in asked["interpreting"]] == ["ar"]

    # The call ends from the kiosk.
    state, tag = settled(central, official, after=last)
    ok(central.request("POST", f"{path}/end", org.device_token, json={"outcome": "completed"}))
    assert changed(central, official, tag, last)["active"] is None


def test_the_officials_own_settings_reach_their_desk(central, world):
    official, admin = world["anna"], world["org"].tokens["org_admin"]
    state, tag = settled(central, official)
    assert state["presence"] == "available"
    ok(central.request("PUT", "/desk/presence", official, json={"presence": "away"}))
    assert changed(central, official, tag)["presence"] == "away"
    ok(central.request("PUT", "/desk/presence", official, json={"presence": "available"}))

    _state, tag = settled(central, official)
    body = {"services": [world["service"]], "languages": ["fi", "sv"]}
    ok(central.request("PUT", f"/officials/{user_id(central, official)}", admin, json=body))
    assert changed(central, official, tag)["languages"] == ["fi", "sv"]


def test_an_old_tag_or_other_chat_lines_get_a_full_answer(central, world):
    official = world["anna"]
    _state, tag = settled(central, official)
    assert poll(central, official, tag, after=5).status_code == 200
    old = PollTag.decode(central.app.state.secret_key, "desk", tag)
    assert old is not None
    aged = dataclasses.replace(old, issued=old.issued - 2 * FULL_EVERY_S)  # past any spread
    assert poll(central, official, aged.encode(central.app.state.secret_key)).status_code == 200


def test_another_officials_tag_tells_an_attacker_nothing(central, world):
    """The stranger (an official of another organisation, a valid account) brings Anna's
    tag, then one changed to name Anna's queue with his own user: each time he gets his
    own full state, never 304, so he cannot watch whether Anna's calls change."""
    org, anna, stranger = world["org"], world["anna"], world["stranger"]
    call = call_in_database(central, org, world["service"])
    _state, anna_tag = settled(central, anna)

    response = poll(central, stranger, anna_tag)
    assert response.status_code == 200
    assert call not in response.text and org.id not in response.text
    assert response.json()["waiting"] == []

    mine = PollTag.decode(central.app.state.secret_key, "desk", response.headers["ETag"])
    theirs = PollTag.decode(central.app.state.secret_key, "desk", anna_tag)
    assert mine is not None and theirs is not None
    forged_payload = dataclasses.replace(theirs, who=mine.who)._payload()
    unsigned = f'"{forged_payload}|{"0" * 32}"'
    kiosk_kind = anna_tag.replace('"desk|', '"kiosk|')
    for tag in (unsigned, anna_tag.replace("queue:", "queue:x"), kiosk_kind, "*", '"desk|x"'):
        again = poll(central, stranger, tag)
        assert again.status_code == 200 and call not in again.text
    ok(
        central.request(
            "POST", f"/kiosk/calls/{call}/end", org.device_token, json={"outcome": "left_queue"}
        )
    )
