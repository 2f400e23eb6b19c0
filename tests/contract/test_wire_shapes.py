"""`contract.kiosk_api.parse` checks every wire shape from its annotations alone: nested
shapes, enums, optional fields and lists, with the field named in each refusal."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from contract import call_api, kiosk_api
from contract.call_api import CallOutcome, CallStatus, KioskCall, Speaker
from contract.kiosk_api import BadAnswer, HeartbeatAnswer, parse

CALL = {
    "id": "c1",
    "status": "active",
    "position": 0,
    "outcome": None,
    "official_connected": True,
    "identification": "weak",
    "join": {"janus_url": "http://c/janus", "room": "room-x", "token": "t", "ice_servers": []},
    "messages": [{"id": 3, "sender": "official", "text": "Hei", "at": "2026-12-06T10:00:00Z"}],
    "documents": [{"id": "d", "name": "a.pdf", "content_type": "application/pdf", "size": 9}],
    "parties": [{"kind": "interpreter", "organisation": "Tulkit", "language": "ar"}],
    "from_a_newer_central": {"ignored": True},
}


def test_a_call_is_parsed_whole_into_typed_members():
    call = parse(KioskCall, CALL)
    assert call.status is CallStatus.ACTIVE and call.outcome is None
    assert isinstance(call.join, call_api.RoomJoin) and call.join.room == "room-x"
    assert call.messages[0].sender is Speaker.OFFICIAL and call.messages[0].id == 3
    assert call.documents[0].printed is False  # a default where central sent none
    assert call.parties[0].kind is call_api.PartyKind.INTERPRETER
    ended = parse(KioskCall, {**CALL, "status": "ended", "outcome": "kiosk_lost", "join": None})
    assert ended.outcome is CallOutcome.KIOSK_LOST and ended.join is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"status": "paused"}, "KioskCall.status: 'paused' is not one of"),
        ({"position": "3"}, "KioskCall.position has the wrong type"),
        ({"position": True}, "KioskCall.position has the wrong type"),  # a bool is no count
        ({"join": {"room": "r"}}, "KioskCall.join"),
        ({"messages": [{"id": 1, "sender": "boss", "text": "", "at": ""}]}, "messages[0]"),
        ({"documents": {}}, "KioskCall.documents: expected a list"),
        ({"parties": [{"kind": "expert"}]}, "KioskCall.parties[0]: organisation is missing"),
    ],
)
def test_a_wrong_field_is_refused_by_name(change, named):
    with pytest.raises(BadAnswer) as refused:
        parse(KioskCall, {**CALL, **change})
    assert named in str(refused.value)


def test_a_heartbeats_commands_and_optionals_are_checked():
    answer = parse(
        HeartbeatAnswer,
        {
            "commands": [{"id": "k", "type": "reboot"}],
            "config_version": None,
            "server_time": "2026-12-06T10:00:00Z",
        },
    )
    assert answer.commands[0].type == "reboot" and answer.commands[0].args == {}
    with pytest.raises(BadAnswer, match="config_version"):
        parse(HeartbeatAnswer, {"commands": [], "config_version": "7", "server_time": ""})
    with pytest.raises(BadAnswer, match="server_time is missing"):
        parse(HeartbeatAnswer, {"commands": [], "config_version": 1})
    with pytest.raises(BadAnswer, match="expected an object"):
        parse(HeartbeatAnswer, [])


def test_every_wire_shape_can_be_parsed_from_its_annotations():
    """No shape needs a table of its own: each field's annotation is one parse understands,
    so a new dataclass in the contract is checked the day it is added."""
    shapes = [
        cls
        for module in (kiosk_api, call_api)
        for _, cls in inspect.getmembers(module, dataclasses.is_dataclass)
        if cls.__module__ == module.__name__
    ]
    assert len(shapes) >= 18
    for cls in shapes:
        hints = kiosk_api._hints(cls)
        assert set(hints) == {f.name for f in dataclasses.fields(cls)}
        with pytest.raises(BadAnswer):
            parse(cls, {f.name: object() for f in dataclasses.fields(cls)})
