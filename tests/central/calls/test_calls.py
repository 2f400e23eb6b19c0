"""Video calls through central's API with a real Janus and coturn: officials, presence,
the queue, rooms and their tokens, chat, documents both ways, retention.

Media between peers is tested in tests/calls/; here Janus is driven only through the
API central uses and a client of its own, to show what a token does and does not open.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from central.db.engine import session_scope
from central.db.models import Call, CallDocument, DocumentDownload, OfficialProfile
from central.db.types import utcnow
from devtools.central_world import add_user, enrol, make_org, ok, user_id
from tests.support.call_api import (
    PDF,
    desk,
    janus_create,
    kiosk_call,
    png_bytes,
    poll,
    room_exists,
    scan_from_kiosk,
)


def _quiet_for(central, model, where, seen_column, seconds: float) -> None:
    """Sets a last-seen time back, as if its side had been silent that long."""
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(model).where(where).values({seen_column: utcnow() - timedelta(seconds=seconds)})
        )


def test_admins_say_what_officials_serve(central, world, national):
    org = world["org"]
    admin = org.tokens["org_admin"]
    listed = ok(central.request("GET", "/officials", admin))["items"]
    anna_id = world["officials"]["anna"][0]
    anna = next(o for o in listed if o["user_id"] == anna_id)
    assert anna["services"] == [world["service"]]
    assert anna["languages"] == ["fi", "sv"]
    assert anna["presence"] == "away"
    # Only officials get a profile; other organisations' users are not this admin's.
    me = {"id": user_id(central, org.tokens["technician"])}
    r = central.request(
        "PUT", f"/officials/{me['id']}", admin, json={"services": [], "languages": ["fi"]}
    )
    assert r.status_code == 422
    other = make_org(central, national, with_kiosk=False)
    other_official = {"id": user_id(central, other.tokens["official"])}
    r = central.request(
        "PUT",
        f"/officials/{other_official['id']}",
        admin,
        json={"services": [], "languages": ["fi"]},
    )
    assert r.status_code == 403
    r = central.request(
        "PUT", f"/officials/{anna_id}", admin, json={"services": ["no-such"], "languages": ["fi"]}
    )
    assert r.status_code == 404
    # An official cannot change their own profile or see the list.
    assert central.request("GET", "/officials", world["officials"]["anna"][1]).status_code == 403


def test_walk_in_availability_follows_presence(central, world):
    org, service = world["org"], world["service"]
    anna = world["officials"]["anna"][1]
    url = f"/kiosk/video/availability?service_id={service}&language=fi"
    assert ok(central.request("GET", url, org.device_token))["available"] is False
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    assert desk(central, anna)["presence"] == "available"
    seen = ok(central.request("GET", url, org.device_token))
    assert seen["available"] is True and seen["officials_available"] >= 1
    # Nobody serves English: the kiosk shows hours and a phone number instead.
    english = ok(central.request("GET", url.replace("=fi", "=en"), org.device_token))
    assert english["available"] is False
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "away"}))
    assert ok(central.request("GET", url, org.device_token))["available"] is False


def test_queue_accept_chat_documents_end(central, world, media):
    org, service = world["org"], world["service"]
    (anna_id, anna), (_, bert) = world["officials"]["anna"], world["officials"]["bert"]
    kiosk2_token = world["kiosk2"][1]
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))

    first = kiosk_call(central, org.device_token, service)
    second = kiosk_call(central, kiosk2_token, service)
    assert first["status"] == "queued" and first["position"] == 1
    assert second["position"] == 2
    assert second["estimated_wait_s"] > 0

    # Both officials see both citizens, oldest first; no personal data in the queue.
    waiting = desk(central, bert)["waiting"]
    assert [w["call_id"] for w in waiting] == [first["id"], second["id"]]
    assert set(waiting[0]) == {
        "call_id",
        "service_id",
        "service_name",
        "language",
        "site_name",
        "municipality",
        "waited_s",
        "booked",
        "for_me",
        "from_home",
    }
    assert waiting[0]["from_home"] is False

    joined = ok(central.request("POST", f"/desk/calls/{first['id']}/accept", anna))
    assert joined["status"] == "active"
    # A second official cannot take the same call.
    r = central.request("POST", f"/desk/calls/{first['id']}/accept", bert)
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_taken"
    # The second citizen moves up.
    assert poll(central, kiosk2_token, second["id"])["position"] == 1
    assert desk(central, anna)["presence"] == "busy"

    seen = poll(central, org.device_token, first["id"])
    join = seen["join"]
    assert seen["status"] == "active" and seen["official_connected"] is True
    assert join["room"] == joined["join"]["room"] and join["token"] != joined["join"]["token"]
    ice = join["ice_servers"][0]
    assert ice["urls"][0].startswith("turn:") and ice["username"] and ice["credential"]
    assert room_exists(media, join["room"])
    # Janus answers only tokens central added for this call.
    assert janus_create(media, None)["janus"] == "error"
    assert janus_create(media, "guessed-token")["janus"] == "error"
    assert janus_create(media, join["token"])["janus"] == "success"

    # Chat both ways.
    ok(
        central.request("POST", f"/desk/calls/{first['id']}/messages", anna, json={"text": "Hei!"}),
        201,
    )
    ok(
        central.request(
            "POST", f"/kiosk/calls/{first['id']}/messages", org.device_token, json={"text": "Moi"}
        ),
        201,
    )
    lines = poll(central, org.device_token, first["id"])["messages"]
    assert [(m["sender"], m["text"]) for m in lines] == [("official", "Hei!"), ("citizen", "Moi")]
    assert poll(central, org.device_token, first["id"], after=lines[0]["id"])["messages"] == [
        lines[1]
    ]
    on_desk = ok(central.request("GET", f"/desk/calls/{first['id']}", anna))["messages"]
    assert [m["text"] for m in on_desk] == ["Hei!", "Moi"]

    # The official shows a PDF; the kiosk gets it and reports it printed.
    shown = ok(
        central.request(
            "POST",
            f"/desk/calls/{first['id']}/documents?name=Hakemus.pdf",
            anna,
            data=PDF,
            headers={"Content-Type": "application/pdf"},
        ),
        201,
    )
    docs = poll(central, org.device_token, first["id"])["documents"]
    assert [d["id"] for d in docs] == [shown["id"]] and docs[0]["content_type"] == "application/pdf"
    got = central.request(
        "GET", f"/kiosk/calls/{first['id']}/documents/{shown['id']}", org.device_token
    )
    assert got.status_code == 200 and got.content == PDF
    ok(
        central.request(
            "POST",
            f"/kiosk/calls/{first['id']}/documents/{shown['id']}/printed",
            org.device_token,
        )
    )
    desk_docs = ok(central.request("GET", f"/desk/calls/{first['id']}", anna))["documents"]
    assert desk_docs[0]["printed"] is True

    # The citizen scans a page; only the call's official can download it, audited.
    page = png_bytes()
    scan = ok(
        central.request(
            "POST",
            f"/kiosk/calls/{first['id']}/scans",
            org.device_token,
            data=page,
            headers={"Content-Type": "image/png"},
        ),
        201,
    )
    path = f"/desk/calls/{first['id']}/documents/{scan['id']}"
    downloaded = central.request("GET", path, anna)
    assert downloaded.status_code == 200 and downloaded.content == page
    assert central.request("GET", path, bert).status_code == 404
    assert central.request("GET", path, world["other_official"]).status_code == 404
    assert central.request("GET", path, org.tokens["org_admin"]).status_code == 403
    # The kiosk cannot fetch the citizen's own scan back through the shown-documents path.
    assert (
        central.request(
            "GET", f"/kiosk/calls/{first['id']}/documents/{scan['id']}", org.device_token
        ).status_code
        == 404
    )
    with session_scope(central.app.state.sessions) as db:
        stored = db.get(CallDocument, scan["id"])
        assert page not in stored.sealed and page[:8] not in stored.sealed  # encrypted
        audit = db.scalars(
            select(DocumentDownload).where(DocumentDownload.document_id == scan["id"])
        ).all()
        assert [a.user_id for a in audit] == [anna_id]

    # Anything but PDF, PNG or JPEG is refused.
    r = central.request(
        "POST",
        f"/kiosk/calls/{first['id']}/scans",
        org.device_token,
        data=b"MZ\x90\x00 not a document",
        headers={"Content-Type": "image/png"},
    )
    assert r.status_code == 415

    ok(
        central.request(
            "PUT", f"/desk/calls/{first['id']}/identification", anna, json={"level": "weak"}
        )
    )
    r = central.request(
        "PUT", f"/desk/calls/{first['id']}/identification", anna, json={"level": "strong"}
    )
    assert r.status_code == 422

    ended = ok(central.request("POST", f"/desk/calls/{first['id']}/end", anna, json={}))
    assert ended["status"] == "ended" and ended["outcome"] == "completed"
    assert ended["identification"] == "weak"
    assert not room_exists(media, join["room"])
    assert janus_create(media, join["token"])["janus"] == "error"  # access ended with the call
    after = poll(central, org.device_token, first["id"])
    assert after["status"] == "ended" and after["join"] is None and after["documents"] == []
    r = central.request(
        "GET", f"/kiosk/calls/{first['id']}/documents/{shown['id']}", org.device_token
    )
    assert r.status_code == 409

    # The second citizen leaves the queue.
    left = ok(central.request("POST", f"/kiosk/calls/{second['id']}/end", kiosk2_token, json={}))
    assert left["outcome"] == "left_queue"
    assert desk(central, bert)["waiting"] == []


def test_a_silent_kiosk_leaves_the_queue(central, world):
    org, service = world["org"], world["service"]
    anna = world["officials"]["anna"][1]
    call = kiosk_call(central, org.device_token, service, language="sv")
    assert [w["call_id"] for w in desk(central, anna)["waiting"]] == [call["id"]]
    # The kiosk went quiet 3 s ago (call_kiosk_gone_after_s=2 in this module): its last
    # poll is moved back rather than waited for.
    _quiet_for(central, Call, Call.id == call["id"], Call.kiosk_seen_at, 3)
    assert desk(central, anna)["waiting"] == []
    assert poll(central, org.device_token, call["id"])["outcome"] == "left_queue"


def test_a_closed_desk_is_away(central, world):
    org = world["org"]
    anna = world["officials"]["anna"][1]
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    # The tab was closed 4 s ago (desk_gone_after_s=3 in this module).
    anna_id = world["officials"]["anna"][0]
    seen = OfficialProfile.seen_at
    _quiet_for(central, OfficialProfile, OfficialProfile.user_id == anna_id, seen, 4)
    admin = org.tokens["org_admin"]
    listed = ok(central.request("GET", "/officials", admin))["items"]
    assert {o["presence"] for o in listed} == {"away"}


def test_a_remote_booking_queues_for_its_official(central, world):
    org, service = world["org"], world["service"]
    (anna_id, anna), (_, bert) = world["officials"]["anna"], world["officials"]["bert"]
    now = utcnow()
    booking = ok(
        central.request(
            "POST",
            "/bookings",
            org.tokens["booking_system"],
            json={
                "external_id": uuid.uuid4().hex,
                "site_id": org.site_id,
                "service_id": service,
                "starts_at": (now + timedelta(minutes=5)).isoformat(),
                "ends_at": (now + timedelta(minutes=35)).isoformat(),
                "display_name": "Maija V.",
                "mode": "remote",
                "official_id": anna_id,
            },
        ),
        201,
    )
    call = kiosk_call(central, org.device_token, service, booking_id=booking["id"])
    mine = desk(central, anna)["waiting"]
    assert [(w["call_id"], w["booked"], w["for_me"]) for w in mine] == [(call["id"], True, True)]
    assert desk(central, bert)["waiting"] == []
    assert central.request("POST", f"/desk/calls/{call['id']}/accept", bert).status_code == 404
    ok(central.request("POST", f"/kiosk/calls/{call['id']}/end", org.device_token, json={}))
    # An in-person booking does not start a call; an official of another org is refused.
    r = central.request(
        "POST",
        "/bookings",
        org.tokens["booking_system"],
        json={
            "external_id": uuid.uuid4().hex,
            "site_id": org.site_id,
            "service_id": service,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(minutes=30)).isoformat(),
            "display_name": "Matti M.",
            "mode": "remote",
            "official_id": user_id(central, world["other_official"]),
        },
    )
    assert r.status_code == 422


def test_other_kiosks_and_people_cannot_reach_a_call(central, world, national):
    org, service = world["org"], world["service"]
    call = kiosk_call(central, org.device_token, service)
    other = make_org(central, national)
    assert (
        central.request("GET", f"/kiosk/calls/{call['id']}", other.device_token).status_code == 404
    )
    assert (
        central.request(
            "POST", f"/desk/calls/{call['id']}/accept", world["other_official"]
        ).status_code
        == 404
    )
    assert (
        central.request(
            "GET", f"/desk/calls/{call['id']}", world["officials"]["bert"][1]
        ).status_code
        == 404
    )
    ok(central.request("POST", f"/kiosk/calls/{call['id']}/end", org.device_token, json={}))


def test_retention_removes_a_calls_documents_and_chat(central, world):
    from central.db.models import Call, CallMessage
    from central.usage import retention

    org, service = world["org"], world["service"]
    call = kiosk_call(central, org.device_token, service)
    ok(
        central.request(
            "POST", f"/kiosk/calls/{call['id']}/messages", org.device_token, json={"text": "x"}
        ),
        201,
    )
    anna = world["officials"]["anna"][1]
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", anna))
    scan_from_kiosk(central, org.device_token, call["id"])  # scans reach answered calls only
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", anna, json={}))
    with session_scope(central.app.state.sessions) as db:
        db.get(Call, call["id"]).created_at = utcnow() - timedelta(days=1, minutes=1)
    with central.app.state.sessions() as db:
        removed = retention.apply(db, central.app.state.settings)
    assert removed["call_documents"] >= 1
    with session_scope(central.app.state.sessions) as db:
        assert (
            db.scalars(select(CallDocument).where(CallDocument.call_id == call["id"])).all() == []
        )
        assert db.scalars(select(CallMessage).where(CallMessage.call_id == call["id"])).all() == []
        assert db.get(Call, call["id"]).outcome == "completed"  # the call's record stays


def test_stats_count_calls_per_service(central, world):
    org, service = world["org"], world["service"]
    anna = world["officials"]["anna"][1]
    # Its own calls (test workers may run this module's tests apart): one answered, one left.
    answered = kiosk_call(central, org.device_token, service)
    ok(central.request("POST", f"/desk/calls/{answered['id']}/accept", anna))
    ok(
        central.request(
            "POST",
            f"/desk/calls/{answered['id']}/documents",
            anna,
            data=PDF,
            headers={"Content-Type": "application/pdf"},
        ),
        201,
    )
    ok(
        central.request(
            "POST",
            f"/kiosk/calls/{answered['id']}/scans",
            org.device_token,
            data=png_bytes(),
            headers={"Content-Type": "image/png"},
        ),
        201,
    )
    ok(
        central.request(
            "PUT", f"/desk/calls/{answered['id']}/identification", anna, json={"level": "weak"}
        )
    )
    ok(central.request("POST", f"/desk/calls/{answered['id']}/end", anna, json={}))
    left = kiosk_call(central, org.device_token, service)
    ok(central.request("POST", f"/kiosk/calls/{left['id']}/end", org.device_token, json={}))
    stats = ok(central.request("GET", "/stats/calls", org.tokens["org_admin"]))
    [item] = [i for i in stats["items"] if i["service_id"] == service]
    assert item["answered"] >= 1 and item["requested"] > item["answered"]
    assert item["outcomes"]["completed"] >= 1 and item["outcomes"]["left_queue"] >= 1
    assert item["documents_shown"] >= 1 and item["documents_scanned"] >= 1
    assert item["identified_weak"] >= 1
    assert stats["total"] == sum(i["requested"] for i in stats["items"])
    # Officials and technicians do not read statistics.
    assert central.request("GET", "/stats/calls", world["officials"]["anna"][1]).status_code == 403


def test_the_desks_order_and_the_citizens_numbers_are_one_queue(central, world):
    """central/calls/queue.py: the official sees the calls in the order the citizens are
    told their numbers, and both move together when someone leaves."""
    org, service = world["org"], world["service"]
    admin, technician = org.tokens["org_admin"], org.tokens["technician"]
    cecilia = add_user(central, "official", org.id)
    body = {"services": [service], "languages": ["en"]}
    ok(central.request("PUT", f"/officials/{user_id(central, cecilia)}", admin, json=body))
    kiosks = [enrol(central, technician, org.site_id)[1] for _ in range(3)]
    calls = [kiosk_call(central, token, service, language="en") for token in kiosks]
    listed = [w["call_id"] for w in desk(central, cecilia)["waiting"]]
    assert listed == [c["id"] for c in calls]
    numbers = [poll(central, t, c["id"])["position"] for t, c in zip(kiosks, calls, strict=True)]
    assert numbers == [1, 2, 3]
    ok(central.request("POST", f"/kiosk/calls/{calls[0]['id']}/end", kiosks[0], json={}))
    assert [w["call_id"] for w in desk(central, cecilia)["waiting"]] == [
        calls[1]["id"],
        calls[2]["id"],
    ]
    later = [
        poll(central, t, c["id"])["position"] for t, c in zip(kiosks[1:], calls[1:], strict=True)
    ]
    assert later == [1, 2]
    for token, call in zip(kiosks[1:], calls[1:], strict=True):
        ok(central.request("POST", f"/kiosk/calls/{call['id']}/end", token, json={}))
