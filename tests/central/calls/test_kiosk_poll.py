"""A kiosk's poll of its call with nothing new is answered 304 from change marks (issue
36), and everything the kiosk shows still reaches it at its next poll: its place in the
queue, the official's chat, documents and connection, the call's end. Another kiosk
cannot use a tag to learn anything of a call not its own."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from central.calls.kiosk_poll import QUEUED_FULL_EVERY_S
from central.calls.poll_tags import PollTag
from central.db.engine import session_scope
from central.db.models import Call
from central.db.types import utcnow
from contract.call_api import CallStatus
from devtools.builders import service_ids
from devtools.central_server import RunningCentral
from devtools.central_world import add_user, call_in_database, enrol, make_org, ok, user_id
from tests.support import statements as support
from tests.support.statements import central_without_media, counted


@pytest.fixture(scope="module")
def central(database_url: str) -> Iterator[RunningCentral]:
    with central_without_media(
        database_url, desk_gone_after_s=8, call_kiosk_gone_after_s=60
    ) as running:
        yield running


@pytest.fixture(scope="module")
def world(central: RunningCentral, national: str) -> dict:
    org = make_org(central, national)
    service = service_ids()[0]
    official = add_user(central, "official", org.id)
    body = {"services": [service], "languages": ["fi"]}
    ok(
        central.request(
            "PUT", f"/officials/{user_id(central, official)}", org.tokens["org_admin"], json=body
        )
    )
    other = make_org(central, national, name="Toinen")
    return {
        "org": org,
        "service": service,
        "official": official,
        "other": other,
        "national": national,
    }


def poll(
    central: RunningCentral, device_token: str, call: str, tag: str | None = None, after: int = 0
):
    headers = {"If-None-Match": tag} if tag else {}
    return central.request(
        "GET", f"/kiosk/calls/{call}?after={after}", device_token, headers=headers
    )


def settled(
    central: RunningCentral, device_token: str, call: str, after: int = 0
) -> tuple[dict, str]:
    return support.settled(lambda tag: poll(central, device_token, call, tag, after), "kiosk")


def changed(
    central: RunningCentral, device_token: str, call: str, tag: str, after: int = 0
) -> dict:
    return support.changed(lambda tag: poll(central, device_token, call, tag, after), tag)


def test_a_queued_kiosk_learns_its_place_moved(central, world):
    org = world["org"]
    ahead = call_in_database(central, org, world["service"])
    mine = call_in_database(central, org, world["service"])
    view, tag = settled(central, org.device_token, mine)
    assert view["position"] == 2
    with counted(central) as statements:
        response = poll(central, org.device_token, mine, tag)
    assert response.status_code == 304 and response.content == b""
    # The token's check and the call read with its marks (a full queued poll: 3–4).
    assert len(statements) <= 2, "\n".join(statements)

    ok(
        central.request(
            "POST", f"/kiosk/calls/{ahead}/end", org.device_token, json={"outcome": "left_queue"}
        )
    )
    assert changed(central, org.device_token, mine, tag)["position"] == 1

    # The estimate follows officials' presence, which no mark counts: at most this old.
    _view, tag = settled(central, org.device_token, mine)
    old = PollTag.decode(central.app.state.secret_key, "kiosk", tag)
    aged = dataclasses.replace(old, issued=old.issued - 2 * QUEUED_FULL_EVERY_S)  # past any spread
    assert (
        poll(central, org.device_token, mine, aged.encode(central.app.state.secret_key)).status_code
        == 200
    )
    ok(
        central.request(
            "POST", f"/kiosk/calls/{mine}/end", org.device_token, json={"outcome": "left_queue"}
        )
    )


def test_an_active_calls_changes_reach_the_kiosk(central, world):
    org, official = world["org"], world["official"]
    me = user_id(central, official)
    call = call_in_database(
        central,
        org,
        world["service"],
        status=CallStatus.ACTIVE,
        official_id=me,
        room="r-kiosk-poll",
        official_seen_at=utcnow(),
    )
    view, tag = settled(central, org.device_token, call)
    assert view["official_connected"] and view["messages"] == []

    ok(
        central.request("POST", f"/desk/calls/{call}/messages", official, json={"text": "Päivää"}),
        201,
    )
    view = changed(central, org.device_token, call, tag)
    assert [m["text"] for m in view["messages"]] == ["Päivää"]
    last = view["messages"][-1]["id"]

    # The kiosk's link turns poor: the desk is told; the kiosk has nothing new to read.
    _view, tag = settled(central, org.device_token, call, last)
    poor = central.request(
        "GET",
        f"/kiosk/calls/{call}?after={last}&link=poor",
        org.device_token,
        headers={"If-None-Match": tag},
    )
    assert poor.status_code == 304
    assert ok(central.request("GET", f"/desk/calls/{call}", official))["kiosk_link"] == "poor"

    # The official's desk falls silent: nothing is written, the time alone tells.
    _view, tag = settled(central, org.device_token, call, last)
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(Call)
            .where(Call.id == call)
            .values(official_seen_at=utcnow() - timedelta(seconds=6))
        )
    assert changed(central, org.device_token, call, tag, last)["official_connected"] is False

    _view, tag = settled(central, org.device_token, call, last)
    ok(central.request("POST", f"/desk/calls/{call}/end", official, json={"outcome": "completed"}))
    assert changed(central, org.device_token, call, tag, last)["status"] == "ended"


def test_another_kiosks_tag_tells_it_nothing(central, world):
    """A kiosk of another organisation (a valid device token) brings a tag of this
    kiosk's call: for this call it gets 404 whatever the tag, and for its own call its
    own full answer, never 304."""
    org, other = world["org"], world["other"]
    victim = call_in_database(central, org, world["service"])
    _view, tag = settled(central, org.device_token, victim)
    stolen = poll(central, other.device_token, victim, tag)
    assert stolen.status_code == 404 and victim not in stolen.text and "ETag" not in stolen.headers

    own = call_in_database(central, other, world["service"])
    mine = poll(central, other.device_token, own, tag)
    assert mine.status_code == 200 and victim not in mine.text
    forged = tag.replace(victim, own)
    assert poll(central, other.device_token, own, forged).status_code == 200
    desk_kind = tag.replace('"kiosk|', '"desk|')
    assert poll(central, other.device_token, own, desk_kind).status_code == 200
    for call, token in ((victim, org.device_token), (own, other.device_token)):
        ok(
            central.request(
                "POST", f"/kiosk/calls/{call}/end", token, json={"outcome": "left_queue"}
            )
        )


def test_the_kiosks_call_session_sends_its_tag_back(central, world):
    """The kiosk's own CallSession, on its real HTTP client: a queued call's polls come
    back 304 while nothing moves, and its place still moves when a call ahead leaves."""
    from kiosk.agent.client import CentralClient
    from kiosk.call.session import CallSession

    org = world["org"]
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            world["national"],
            json={"service_ids": [world["service"]]},
        )
    )
    # Another kiosk of the site has a citizen waiting already.
    other_kiosk, other_token = enrol(central, org.tokens["technician"], org.site_id)
    ahead = call_in_database(central, org, world["service"], kiosk_id=other_kiosk)
    client = CentralClient(central.base, org.device_token, insecure=True)
    answers: list[int] = []
    poll_once = client.poll

    def observed(path, tag, **kw):
        answer, new_tag = poll_once(path, tag, **kw)
        answers.append(304 if answer is None else 200)
        return answer, new_tag

    client.poll = observed  # type: ignore[method-assign]  # observes, changes nothing
    session = CallSession(client, None, None, poll_s=0.05)
    try:
        session.start(world["service"], "fi")
        deadline = time.monotonic() + 10
        while answers.count(304) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answers.count(304) >= 5, answers
        assert session.view.position == 2
        body = {"outcome": "left_queue"}
        ok(central.request("POST", f"/kiosk/calls/{ahead}/end", other_token, json=body))
        while session.view.position != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.view.position == 1
    finally:
        session.close()
