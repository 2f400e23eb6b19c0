"""Interpreters in a call, through central's API with a real Janus: the official asks,
interpreters of the language see the request, one takes it (a second gets 409), the
interpreter is in the room, chat and documents while joined, and out of all of it once
they leave or the call ends. Another organisation's people never reach the call.
"""

from __future__ import annotations

import pytest

from devtools.builders import service_ids
from tests.central.test_calls import (  # noqa: F401 - fixtures shared with the call tests
    central,
    desk,
    janus_create,
    kiosk_call,
    media,
    png_bytes,
    poll,
)
from tests.central.world import add_user, make_org, ok, user_id


@pytest.fixture(scope="module")
def people(central, national):  # noqa: F811 - the fixture imported above
    org = make_org(central, national)
    service = service_ids()[0]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": [service]}
        )
    )
    official = add_user(central, "official", org.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, official)}",
            org.tokens["org_admin"],
            json={"services": [service], "languages": ["fi"]},
        )
    )
    # An interpretation service is an organisation of its own.
    agency = make_org(central, national, with_kiosk=False)
    interpreters = {}
    for name, languages in (("arabic", ["ar", "so"]), ("arabic2", ["ar"]), ("russian", ["ru"])):
        token = add_user(central, "interpreter", agency.id)
        ok(
            central.request(
                "PUT",
                f"/officials/{user_id(central, token)}",
                agency.tokens["org_admin"],
                json={"services": [], "languages": languages},
            )
        )
        interpreters[name] = token
    return {"org": org, "service": service, "official": official, "interpreters": interpreters}


def active_call(central, people) -> dict:  # noqa: F811
    org = people["org"]
    ok(central.request("PUT", "/desk/presence", people["official"], json={"presence": "available"}))
    call = kiosk_call(central, org.device_token, people["service"])
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", people["official"]))
    return call


def test_an_interpreter_profile_has_languages_and_no_services(central, people):  # noqa: F811
    agency_admin_token = people["interpreters"]["russian"]
    me = user_id(central, agency_admin_token)
    state = desk(central, agency_admin_token)
    assert state["role"] == "interpreter" and state["languages"] == ["ru"]
    assert state["waiting"] == []  # interpreters take no calls from the queue
    # Services make no sense for an interpreter.
    with_services = central.request(
        "PUT",
        f"/officials/{me}",
        people["org"].tokens["org_admin"],
        json={"services": [people["service"]], "languages": ["ru"]},
    )
    assert with_services.status_code in (403, 422)


def test_an_interpreter_joins_interprets_and_leaves(central, people, media):  # noqa: F811
    org = people["org"]
    official = people["official"]
    arabic, arabic2, russian = (people["interpreters"][n] for n in ("arabic", "arabic2", "russian"))
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"

    asked = ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))
    assert asked["parties"] == [{"kind": "interpreter", "language": "ar", "status": "requested"}]
    # Asking twice is the same request.
    ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))

    # Interpreters of Arabic see it; the Russian interpreter does not.
    requests_seen = desk(central, arabic)["interpreting"]
    assert [r["language"] for r in requests_seen] == ["ar"]
    assert requests_seen[0]["call_language"] == "fi"
    assert desk(central, russian)["interpreting"] == []
    party = requests_seen[0]["party_id"]

    # A request someone else has not taken can be taken once: the second gets 409.
    assert central.request("POST", f"/desk/interpreting/{party}/take", russian).status_code == 404
    taken = ok(central.request("POST", f"/desk/interpreting/{party}/take", arabic))
    assert taken["my_role"] == "interpreter" and taken["join"]["display"].startswith("interpreter:")
    again = central.request("POST", f"/desk/interpreting/{party}/take", arabic2)
    assert again.status_code == 409 and again.json()["error"]["code"] == "request_taken"
    assert desk(central, arabic)["active"]["id"] == call["id"]

    # In the room: Janus accepts the interpreter's token.
    assert janus_create(media, taken["join"]["token"])["janus"] == "success"

    # Chat both ways, marked as the interpreter's; a scan of the citizen reaches them.
    ok(central.request("POST", f"{path}/messages", arabic, json={"text": "مرحبا"}), 201)
    lines = poll(central, org.device_token, call["id"])["messages"]
    assert [(m["sender"], m["text"]) for m in lines] == [("interpreter", "مرحبا")]
    scan = ok(
        central.request(
            "POST",
            f"/kiosk/calls/{call['id']}/scans",
            org.device_token,
            data=png_bytes(),
            headers={"Content-Type": "image/png"},
        ),
        201,
    )
    document = f"{path}/documents/{scan['id']}"
    assert central.request("GET", document, arabic).status_code == 200
    # Not the other interpreters', and only the official ends the call.
    assert central.request("GET", path, arabic2).status_code == 404
    assert central.request("GET", document, arabic2).status_code == 404
    assert central.request("POST", f"{path}/end", arabic, json={}).status_code == 404

    # The interpreter leaves: the call goes on, and they can see nothing of it.
    left = ok(central.request("POST", f"{path}/leave", arabic))
    assert left["status"] == "left" and left["messages"] == [] and left["join"] is None
    assert central.request("GET", path, arabic).status_code == 404
    assert central.request("GET", document, arabic).status_code == 404
    assert janus_create(media, taken["join"]["token"])["janus"] == "error"
    assert poll(central, org.device_token, call["id"])["status"] == "active"
    view = ok(central.request("GET", path, official))
    assert view["parties"][0]["status"] == "left"

    # A second interpreter joins; when the official ends the call, they are out too.
    ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))
    second = desk(central, arabic2)["interpreting"][0]["party_id"]
    joined = ok(central.request("POST", f"/desk/interpreting/{second}/take", arabic2))
    ok(central.request("POST", f"{path}/end", official, json={}))
    assert central.request("GET", path, arabic2).status_code == 404
    assert desk(central, arabic2)["active"] is None
    assert janus_create(media, joined["join"]["token"])["janus"] == "error"

    # Counted for the programme: interpreted calls by language and interpretation service.
    stats = ok(central.request("GET", "/stats/calls", org.tokens["org_admin"]))["items"]
    item = next(i for i in stats if i["service_id"] == people["service"])
    assert item["interpreted"] == 1
    assert item["interpreted_by_language"] == {"ar": 1}
    assert list(item["interpreted_by_organisation"].values()) == [1]


def test_an_official_cannot_take_interpreting(central, people):  # noqa: F811
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", people["official"], json={"language": "so"}))
    party = desk(central, people["interpreters"]["arabic"])["interpreting"][0]["party_id"]
    other = add_user(central, "official", people["org"].id)
    assert central.request("POST", f"/desk/interpreting/{party}/take", other).status_code == 404
    ok(central.request("POST", f"{path}/end", people["official"], json={}))
    # An ended call's open request is gone from every desk.
    assert desk(central, people["interpreters"]["arabic"])["interpreting"] == []


def test_a_booking_can_ask_for_an_interpreter(central, people):  # noqa: F811
    import uuid
    from datetime import timedelta

    from central.db.types import utcnow

    org, now = people["org"], utcnow()
    body = {
        "external_id": uuid.uuid4().hex,
        "site_id": org.site_id,
        "service_id": people["service"],
        "starts_at": (now + timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(minutes=35)).isoformat(),
        "display_name": "Hodan A.",
        "mode": "remote",
        "interpreter_language": "so",
    }
    booking = ok(central.request("POST", "/bookings", org.tokens["booking_system"], json=body), 201)
    assert booking["interpreter_language"] == "so"
    in_person = {**body, "external_id": uuid.uuid4().hex, "mode": "in_person"}
    refused = central.request("POST", "/bookings", org.tokens["booking_system"], json=in_person)
    assert refused.status_code == 422

    # Checked in and answered: the Somali interpreter sees the call at once.
    official = people["official"]
    ok(central.request("PUT", "/desk/presence", official, json={"presence": "available"}))
    call = kiosk_call(central, org.device_token, people["service"], booking_id=booking["id"])
    answered = ok(central.request("POST", f"/desk/calls/{call['id']}/accept", official))
    assert answered["parties"] == [{"kind": "interpreter", "language": "so", "status": "requested"}]
    seen = desk(central, people["interpreters"]["arabic"])["interpreting"]
    assert [r["language"] for r in seen] == ["so"]
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", official, json={}))
