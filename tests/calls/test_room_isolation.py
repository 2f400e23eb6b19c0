"""A call's room admits only that call's current participants (security round 2, item 1).

Real Janus, coturn and central on the test network; the citizen's side is the kiosk's
own call stack sending a QR video. Each attack is made as its attacker would make it,
with a valid account of another kind (an official of another call, a party who left,
the kiosk itself), through Janus's client API; what the attacker's PeerConnection
receives is decoded frame by frame, so "nothing arrives" is counted, not assumed from
a status code.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devtools.central_world import add_user, enrol, login, ok, user_id
from devtools.waiting import wait_for
from kiosk.call.janus import JanusError, JanusSession
from kiosk.call.room import RoomTicket, VideoRoomPeer
from tests.support.kiosk_side import Kiosk
from tests.support.media_files import kiosk_video

pytestmark = pytest.mark.slow

VIDEOROOM = "janus.plugin.videoroom"


class Watcher:
    """A participant's own client: joins a room with a ticket and counts the video
    frames it decodes from everyone else (aiortc hands decoded frames only)."""

    def __init__(self, ticket: RoomTicket) -> None:
        self.frames = 0
        self.loop = asyncio.new_event_loop()
        # JanusSession's requests and long polls run in the loop's executor; each attempt
        # below leaves a poll in it until Janus answers: room for all of them.
        self.loop.set_default_executor(ThreadPoolExecutor(64, thread_name_prefix="watcher"))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.peer = VideoRoomPeer(ticket, None, None, when_remote_frame=self._frame)

    def _frame(self, frame: Any, source: str = "") -> None:
        self.frames += 1

    def run(self, coroutine: Any, timeout_s: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def join(self) -> None:
        self.run(self.peer.join())
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._keep_alive()))

    async def _keep_alive(self) -> None:
        """As the desk and the kiosk do: Janus ends a session silent for 60 s."""
        while self.peer.janus is not None:
            await asyncio.sleep(20)
            try:
                await self.peer.janus.keepalive()
            except JanusError:
                return

    def close(self) -> None:
        try:
            self.run(self.peer.leave(), 15)
        except Exception:  # noqa: BLE001 - a session Janus destroyed cannot leave cleanly
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def ticket(join: dict[str, Any], display: str = "official:") -> RoomTicket:
    return RoomTicket(
        janus_url=join["janus_url"],
        room=join["room"],
        token=join["token"],
        display=display,
        ice_servers=join["ice_servers"],
    )


def admin(world: Any, request: dict[str, Any]) -> dict[str, Any]:
    """What the test (not the attacker) reads from Janus to know the truth."""
    media = world.media
    return requests.post(
        media.janus_admin_url,
        json={
            "janus": "message_plugin",
            "plugin": VIDEOROOM,
            "transaction": "t",
            "admin_secret": media.janus_admin_secret,
            "request": {**request, "admin_key": media.videoroom_admin_key},
        },
        timeout=5,
    ).json()["response"]


def participants(world: Any, room: str) -> list[dict[str, Any]]:
    return admin(world, {"request": "listparticipants", "room": room}).get("participants", [])


async def attempt(janus_url: str, token: str, body: dict[str, Any]) -> str:
    """One VideoRoom request with `token` on a handle of its own: "refused: …" or "ok"."""
    session = JanusSession(janus_url, token)
    try:
        await session.create()
    except JanusError as exc:
        return f"refused: {exc}"
    try:
        handle = await session.attach(lambda event: None)
        answer = await session.message(handle, body)
        data = answer.get("plugindata", {}).get("data", answer)
        if "error" in data:
            return f"refused: {data['error']}"
        return "ok"
    except JanusError as exc:
        return f"refused: {exc}"
    finally:
        await session.destroy()


@pytest.fixture(scope="module")
def two_calls(call_world, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Call A: the world's kiosk (real call stack, QR video) with the world's official,
    whose own client receives the citizen. Call B: a second kiosk of the same site with
    a second official, who is the attacker."""
    world = call_world
    central = world.central
    org = world.org
    official_b = add_user(central, "official", org.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, official_b)}",
            org.tokens["org_admin"],
            json={"services": [world.service], "languages": ["fi"]},
        )
    )
    kiosk_a = Kiosk(world, kiosk_video(tmp_path_factory.mktemp("kiosk-a") / "kiosk.avi"))
    kiosk_a.session.start(world.service, "fi")
    assert wait_for(lambda: bool(kiosk_a.view.call_id), 10), kiosk_a.view
    call_a = kiosk_a.view.call_id
    joined_a = ok(central.request("POST", f"/desk/calls/{call_a}/accept", world.official_token))
    official_a = Watcher(ticket(joined_a["join"]))
    official_a.join()

    _, kiosk_b = enrol(central, org.tokens["technician"], org.site_id)
    call_b = ok(
        central.request(
            "POST", "/kiosk/calls", kiosk_b, json={"service_id": world.service, "language": "fi"}
        ),
        201,
    )
    joined_b = ok(central.request("POST", f"/desk/calls/{call_b['id']}/accept", official_b))
    # Both officials' desks poll, as open desks do (a silent desk's call ends).
    polling = threading.Event()

    def desks() -> None:
        while not polling.wait(2):
            for token in (world.official_token, official_b):
                central.request("GET", "/desk/state", token)

    threading.Thread(target=desks, daemon=True).start()
    try:
        assert wait_for(lambda: official_a.frames > 10, 30), "the official never saw call A"
        room_a = joined_a["join"]["room"]
        kiosk_feed = next(
            p["id"] for p in participants(world, room_a) if str(p["display"]).startswith("kiosk")
        )
        yield {
            "world": world,
            "kiosk_a": kiosk_a,
            "call_a": call_a,
            "room_a": room_a,
            "kiosk_feed": kiosk_feed,
            "official_a": official_a,
            "join_b": joined_b["join"],
            "call_b": call_b["id"],
            "official_b": official_b,
        }
    finally:
        polling.set()
        official_a.close()
        kiosk_a.close()
        for call_id, token in ((call_b["id"], official_b),):
            central.request("POST", f"/desk/calls/{call_id}/end", token, json={})


def test_rooms_have_random_ids_a_secret_and_require_private_ids(two_calls):
    world, room_a = two_calls["world"], two_calls["room_a"]
    assert two_calls["call_a"] not in room_a and len(room_a) >= 20
    listed = admin(world, {"request": "list"})["list"]
    mine = next(r for r in listed if r["room"] == room_a)
    assert mine["require_pvtid"] is True and mine["lock_record"] is True
    # Without the room's secret even the admin key cannot edit it.
    refused = admin(world, {"request": "edit", "room": room_a, "new_description": "x"})
    assert "secret" in str(refused.get("error", "")).lower() or refused.get("error_code")


def test_a_token_of_another_call_gets_nothing_from_this_room(two_calls):
    world, room_a, feed = two_calls["world"], two_calls["room_a"], two_calls["kiosk_feed"]
    join_b = two_calls["join_b"]
    attacker = Watcher(ticket(join_b, "attacker"))
    try:
        # A legitimate join into the attacker's own room B: a private id of room B.
        attacker.join()
        own_private_id = attacker.run(
            _private_id(join_b["janus_url"], join_b["token"], join_b["room"])
        )
        url, token = join_b["janus_url"], join_b["token"]
        tries = {
            "subscribe": {
                "request": "join",
                "ptype": "subscriber",
                "room": room_a,
                "streams": [{"feed": feed}],
            },
            "subscribe with B's private id": {
                "request": "join",
                "ptype": "subscriber",
                "room": room_a,
                "streams": [{"feed": feed}],
                "private_id": own_private_id,
            },
            "publish": {"request": "join", "ptype": "publisher", "room": room_a, "token": token},
            "kick": {"request": "kick", "room": room_a, "id": feed},
            "allow itself": {
                "request": "allowed",
                "room": room_a,
                "action": "add",
                "allowed": [token],
            },
            "edit": {"request": "edit", "room": room_a, "new_require_pvtid": False},
            "destroy": {"request": "destroy", "room": room_a},
            "record": {"request": "enable_recording", "room": room_a, "record": True},
            "forward": {
                "request": "rtp_forward",
                "room": room_a,
                "publisher_id": feed,
                "host": "127.0.0.1",
                "video_port": 5004,
            },
            "moderate": {
                "request": "moderate",
                "room": room_a,
                "id": feed,
                "mid": "0",
                "mute": True,
            },
        }
        # Through central's relay, which is all a participant is given: everything is
        # refused, even asking who is in the room.
        relayed = {
            **tries,
            "list participants": {"request": "listparticipants", "room": room_a},
            "exists": {"request": "exists", "room": room_a},
            "list rooms": {"request": "list"},
        }
        answers = {name: attacker.run(attempt(url, token, body)) for name, body in relayed.items()}
        assert all(a.startswith("refused") for a in answers.values()), answers
        # And at Janus itself (were its client API reachable): the room's own seals hold.
        direct = world.media.janus_url
        answers = {name: attacker.run(attempt(direct, token, body)) for name, body in tries.items()}
        assert all(a.startswith("refused") for a in answers.values()), answers

        # The same subscription through a whole PeerConnection: no offer, no frames.
        before = attacker.frames
        for janus_url in (url, direct):
            stolen = Watcher(
                RoomTicket(janus_url, room_a, token, "attacker", join_b["ice_servers"])
            )
            try:
                with pytest.raises(JanusError):
                    stolen.run(_subscribe_only(stolen.peer, feed))
                time.sleep(3)
                assert stolen.frames == 0
            finally:
                stolen.close()
        assert attacker.frames == before == 0  # room B has no other publisher yet
    finally:
        attacker.close()
    # Call A went on untouched: its kiosk is still there and its official still sees it.
    assert any(p["id"] == feed for p in participants(world, room_a))
    seen = two_calls["official_a"].frames
    assert wait_for(lambda: two_calls["official_a"].frames > seen + 10, 10)


async def _subscribe_only(peer: VideoRoomPeer, feed: Any) -> None:
    """The kiosk's own subscription code, aimed at a feed of another room."""
    peer.janus = JanusSession(peer.ticket.janus_url, peer.ticket.token)
    await peer.janus.create()
    await peer._subscribe([feed])


async def _private_id(janus_url: str, token: str, room: str) -> int:
    session = JanusSession(janus_url, token)
    await session.create()
    handle = await session.attach(lambda event: None)
    joined = await session.message(
        handle, {"request": "join", "ptype": "publisher", "room": room, "token": token}
    )
    return int(joined["private_id"])


def test_the_kiosks_token_cannot_change_its_own_room(two_calls):
    world, room_a = two_calls["world"], two_calls["room_a"]
    kiosk_join = two_calls["kiosk_a"].session.peer.ticket
    assert kiosk_join.janus_url.startswith(world.central.base)  # through central's relay
    url, token = world.media.janus_url, kiosk_join.token  # straight at Janus: the harder case
    official_feed = next(
        p["id"] for p in participants(world, room_a) if not str(p["display"]).startswith("kiosk")
    )
    for body in (
        {"request": "kick", "room": room_a, "id": official_feed},
        {"request": "allowed", "room": room_a, "action": "add", "allowed": ["mine"]},
        {"request": "allowed", "room": room_a, "action": "disable"},
        {"request": "edit", "room": room_a, "new_is_private": False},
        {"request": "destroy", "room": room_a},
        {"request": "rtp_forward", "room": room_a, "publisher_id": official_feed,
         "host": "127.0.0.1", "video_port": 5004},
    ):  # fmt: skip
        answer = two_calls["official_a"].run(attempt(url, token, body))
        assert answer.startswith("refused"), (body["request"], answer)
    assert any(p["id"] == official_feed for p in participants(world, room_a))


def test_a_party_who_left_is_cut_off_and_cannot_come_back(two_calls, interpreter):
    world, call_a = two_calls["world"], two_calls["call_a"]
    central = world.central
    ok(
        central.request(
            "POST", f"/desk/calls/{call_a}/interpreter", world.official_token,
            json={"language": "ar"},
        )
    )  # fmt: skip
    me = login(central, interpreter)
    request = ok(central.request("GET", "/desk/state", me))["interpreting"][0]
    taken = ok(central.request("POST", f"/desk/interpreting/{request['party_id']}/take", me))
    party = Watcher(ticket(taken["join"], "interpreter:"))
    try:
        party.join()
        assert wait_for(lambda: party.frames > 10, 30), "the interpreter never saw the citizen"
        ok(central.request("POST", f"/desk/calls/{call_a}/leave", me))
        # Janus destroyed the party's session: frames stop within a moment.
        time.sleep(1.5)
        stopped_at = party.frames
        time.sleep(3)
        assert party.frames == stopped_at, "video still reached the party who left"
        # The token opens neither Janus nor the room any more.
        answer = two_calls["official_a"].run(
            attempt(
                taken["join"]["janus_url"],
                taken["join"]["token"],
                {"request": "join", "ptype": "publisher", "room": two_calls["room_a"]},
            )
        )
        assert answer.startswith("refused"), answer
    finally:
        party.close()
    seen = two_calls["official_a"].frames
    assert wait_for(lambda: two_calls["official_a"].frames > seen + 10, 10)
