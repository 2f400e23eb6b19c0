"""Interpreters in a call, through central's API with a real Janus: the official asks,
interpreters of the language see the request, one takes it (a second gets 409), the
interpreter is in the room, chat and documents while joined, and out of all of it once
they leave or the call ends. Another organisation's people never reach the call.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contract.call_api import CallStatus, PartyStatus
from devtools.builders import service_ids
from devtools.central_world import add_user, agree, make_org, ok, user_id
from devtools.waiting import wait_for
from tests.support.call_api import PDF, desk, janus_create, kiosk_call, poll, scan_from_kiosk


@pytest.fixture(scope="module")
def people(central, national):
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
    agency = make_org(central, national, with_kiosk=False, interpretation_service=True)
    # ... that interprets for the municipality under an agreement.
    agree(central, national, org.id, agency.id, "interpretation")
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


PNG_MAGIC = b"\x89PNG"


def show_pdf(central, path: str, official: str) -> dict:
    """The call's official shows the citizen a PDF: its DocumentRef."""
    return ok(
        central.request(
            "POST", f"{path}/documents?name=Ohje.pdf", official, data=PDF,
            headers={"Content-Type": "application/pdf"},
        ),
        201,
    )  # fmt: skip


def brief(parties: list[dict]) -> list[tuple]:
    return [(p["kind"], p["language"], p["status"]) for p in parties]


def requested_party(central, call_id: str, interpreter: str) -> str:
    """This call's open interpreter request, as the interpreter's desk lists it. The desk
    lists every open request of their languages, oldest first, and another test on this
    worker may have left one open: the first of the list was a flaky way to find it."""
    from central.db.engine import session_scope
    from central.db.models import CallParty

    with session_scope(central.app.state.sessions) as db:
        party = db.scalars(
            select(CallParty.id).where(
                CallParty.call_id == call_id, CallParty.status == PartyStatus.REQUESTED
            )
        ).one()
    assert party in [r["party_id"] for r in desk(central, interpreter)["interpreting"]]
    return party


def active_call(central, people) -> dict:
    org = people["org"]
    ok(central.request("PUT", "/desk/presence", people["official"], json={"presence": "available"}))
    call = kiosk_call(central, org.device_token, people["service"])
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", people["official"]))
    return call


def test_an_interpreter_profile_has_languages_and_no_services(central, people):
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


def test_an_interpreter_joins_interprets_and_leaves(central, people, media):
    org = people["org"]
    official = people["official"]
    arabic, arabic2, russian = (people["interpreters"][n] for n in ("arabic", "arabic2", "russian"))
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"

    asked = ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))
    assert brief(asked["parties"]) == [("interpreter", "ar", "requested")]
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

    # Chat both ways, marked as the interpreter's. The citizen's scan is the official's
    # alone (docs/security.md); a document the official shows, the interpreter may fetch.
    ok(central.request("POST", f"{path}/messages", arabic, json={"text": "مرحبا"}), 201)
    lines = poll(central, org.device_token, call["id"])["messages"]
    assert [(m["sender"], m["text"]) for m in lines] == [("interpreter", "مرحبا")]
    scan = scan_from_kiosk(central, org.device_token, call["id"])
    document = f"{path}/documents/{scan['id']}"
    refused = central.request("GET", document, arabic)
    assert refused.status_code == 404 and PNG_MAGIC not in refused.content
    assert central.request("GET", document, official).status_code == 200
    shown = show_pdf(central, path, official)
    fetched = central.request("GET", f"{path}/documents/{shown['id']}", arabic)
    assert fetched.status_code == 200 and fetched.content == PDF
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
    second = requested_party(central, call["id"], arabic2)
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


def test_an_official_cannot_take_interpreting(central, people):
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", people["official"], json={"language": "so"}))
    party = requested_party(central, call["id"], people["interpreters"]["arabic"])
    other = add_user(central, "official", people["org"].id)
    assert central.request("POST", f"/desk/interpreting/{party}/take", other).status_code == 404
    ok(central.request("POST", f"{path}/end", people["official"], json={}))
    # An ended call's open request is gone from every desk.
    assert desk(central, people["interpreters"]["arabic"])["interpreting"] == []


def test_a_booking_can_ask_for_an_interpreter(central, people):
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
    assert brief(answered["parties"]) == [("interpreter", "so", "requested")]
    seen = desk(central, people["interpreters"]["arabic"])["interpreting"]
    assert [r["language"] for r in seen] == ["so"]
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", official, json={}))


def email_of(central, token: str) -> str:
    from central.db.engine import session_scope
    from central.db.models import User

    with session_scope(central.app.state.sessions) as db:
        return db.get(User, user_id(central, token)).email


@pytest.fixture(scope="module")
def second_authority(central, national, people):
    """Another authority (say, the employment office) with two officials: one serves a
    service of its own, one serves nothing."""
    other = make_org(central, national, with_kiosk=False)
    # Experts come from organisations the official's own has an agreement with.
    agree(central, national, people["org"].id, other.id)
    service = service_ids()[1]
    expert = add_user(central, "official", other.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, expert)}",
            other.tokens["org_admin"],
            json={"services": [service], "languages": ["fi", "sv"]},
        )
    )
    bystander = add_user(central, "official", other.id)
    # A third organisation's admin puts the same service into an official's profile.
    third = make_org(central, national, with_kiosk=False, name="Kolmas")
    claimer = add_user(central, "official", third.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, claimer)}",
            third.tokens["org_admin"],
            json={"services": [service], "languages": ["fi"]},
        )
    )
    return {
        "org": other,
        "service": service,
        "expert": expert,
        "bystander": bystander,
        "claimer": claimer,
    }


def remove_invitations(central, call_id: str) -> None:
    from sqlalchemy import delete

    from central.db.engine import session_scope
    from central.db.models import CallParty

    with session_scope(central.app.state.sessions) as db:
        db.execute(delete(CallParty).where(CallParty.call_id == call_id))


def test_an_expert_joins_for_this_call_only(central, people, second_authority, media):
    org, official = people["org"], people["official"]
    expert, bystander = second_authority["expert"], second_authority["bystander"]
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"

    # Whom to invite must be clear, and from elsewhere.
    for body in ({}, {"service_id": second_authority["service"], "email": "x@y.fi"}):
        bad = central.request("POST", f"{path}/experts", official, json=body)
        assert bad.status_code == 422 and bad.json()["error"]["message"]
    colleague = add_user(central, "official", org.id)
    same_org = {"email": email_of(central, colleague)}
    assert central.request("POST", f"{path}/experts", expert, json=same_org).status_code == 404
    # Which addresses are officials' is not told by inviting them: an official of another
    # organisation, one's own colleague and nobody at all get the same answer (and only
    # the first can ever take it).
    answers = [
        central.request("POST", f"{path}/experts", official, json={"email": email})
        for email in (email_of(central, bystander), same_org["email"], "no@one.fi")
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    shapes = [brief(a.json()["parties"])[-1] for a in answers]
    assert shapes == [("expert", None, "requested")] * 3
    assert [p.get("organisation") for p in answers[-1].json()["parties"]] == [None] * 3
    assert desk(central, colleague)["invitations"] == []
    remove_invitations(central, call["id"])  # the test goes on with one by service

    # The official sees what other organisations' officials serve, to invite one for.
    offered = desk(central, official)["expert_services"]
    assert second_authority["service"] in [s["service_id"] for s in offered]
    assert all(s["organisation"] and s["name"] for s in offered)
    assert desk(central, expert)["expert_services"] == []  # not in a call of their own

    # By service: the invitation names (service, organisation); an official of a third
    # organisation who claims the same service in their profile sees and takes nothing.
    needs_org = {"service_id": second_authority["service"]}
    assert central.request("POST", f"{path}/experts", official, json=needs_org).status_code == 422
    invited = ok(
        central.request(
            "POST",
            f"{path}/experts",
            official,
            json={**needs_org, "organisation_id": second_authority["org"].id},
        )
    )
    assert brief(invited["parties"])[-1] == ("expert", None, "requested")
    seen = desk(central, expert)["invitations"]
    assert [(i["for_me"], i["call_language"]) for i in seen] == [(False, "fi")]
    assert desk(central, bystander)["invitations"] == []
    assert desk(central, colleague)["invitations"] == []
    claimer = second_authority["claimer"]
    assert desk(central, claimer)["invitations"] == []
    party = seen[0]["party_id"]
    assert central.request("POST", f"/desk/invitations/{party}/take", claimer).status_code == 404
    assert central.request("POST", f"/desk/invitations/{party}/take", bystander).status_code == 404
    interpreter = people["interpreters"]["arabic"]
    assert (
        central.request("POST", f"/desk/invitations/{party}/take", interpreter).status_code == 404
    )

    # Before joining the expert reaches nothing of the call.
    assert central.request("GET", path, expert).status_code == 404
    joined = ok(central.request("POST", f"/desk/invitations/{party}/take", expert))
    assert joined["my_role"] == "expert" and joined["join"]["display"] == "expert:Kunta"
    assert janus_create(media, joined["join"]["token"])["janus"] == "success"
    assert desk(central, expert)["active"]["id"] == call["id"]
    assert desk(central, expert)["presence"] == "busy"
    view = ok(central.request("GET", path, official))
    assert [(p["kind"], p["status"]) for p in view["parties"]] == [("expert", "joined")]
    assert view["parties"][0]["organisation"] == "Kunta"

    # By name: a person invited while already in this call cannot join twice.
    by_name = {"email": email_of(central, bystander)}
    ok(central.request("POST", f"{path}/experts", official, json=by_name))
    named = desk(central, bystander)["invitations"]
    assert [i["for_me"] for i in named] == [True]

    # In the call: chat and documents reach the expert; the call is still not theirs.
    ok(central.request("POST", f"{path}/messages", expert, json={"text": "TE-palvelut tässä"}), 201)
    kiosk_sees = poll(central, org.device_token, call["id"])
    lines = kiosk_sees["messages"]
    assert [(m["sender"], m["text"]) for m in lines][-1] == ("expert", "TE-palvelut tässä")
    # The kiosk learns who joined as far as usage counts it: kind and organisation.
    assert kiosk_sees["parties"] == [{"kind": "expert", "organisation": "Kunta", "language": None}]
    scan = scan_from_kiosk(central, org.device_token, call["id"])
    document = f"{path}/documents/{scan['id']}"
    assert central.request("GET", document, expert).status_code == 404  # the official's alone
    assert central.request("GET", document, official).status_code == 200
    assert central.request("POST", f"{path}/end", expert, json={}).status_code == 404
    assert central.request("POST", f"{path}/experts", expert, json=by_name).status_code == 404
    # Nothing else of the inviting organisation: its kiosks, its statistics, its other calls.
    other_call = kiosk_call(central, org.device_token, people["service"])
    assert central.request("GET", f"/desk/calls/{other_call['id']}", expert).status_code == 404
    assert central.request("GET", f"/kiosks/{org.kiosk_id}", expert).status_code in (403, 404)
    own_stats = second_authority["org"].tokens["org_admin"]
    items = ok(central.request("GET", "/stats/calls", own_stats))["items"]
    assert all(i["requested"] == 0 for i in items) or items == []

    # The call ends: the expert's access ends with it.
    ok(central.request("POST", f"{path}/end", official, json={}))
    for reached in (path, document, f"{path}/messages"):
        method = "POST" if reached.endswith("messages") else "GET"
        body = {"text": "x"} if method == "POST" else None
        assert central.request(method, reached, expert, json=body).status_code == 404
    assert desk(central, expert)["active"] is None
    assert desk(central, bystander)["invitations"] == []
    assert janus_create(media, joined["join"]["token"])["janus"] == "error"

    # Counted: one call with a second authority, by that authority (no person).
    stats = ok(central.request("GET", "/stats/calls", org.tokens["org_admin"]))["items"]
    item = next(i for i in stats if i["service_id"] == people["service"])
    assert item["multi_authority"] == 1
    assert item["experts_by_organisation"] == {"Kunta": 1}


def test_an_expert_leaves_and_the_call_goes_on(central, people, second_authority, media):
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    expert = second_authority["expert"]
    ok(
        central.request(
            "POST", f"{path}/experts", people["official"], json={"email": email_of(central, expert)}
        )
    )
    party = desk(central, expert)["invitations"][0]["party_id"]
    joined = ok(central.request("POST", f"/desk/invitations/{party}/take", expert))
    assert joined["my_role"] == "expert"
    # While joined as an expert, the expert's own queue is closed to them.
    assert desk(central, expert)["presence"] == "busy"
    # The expert leaves; the call goes on with the citizen and its official.
    left = ok(central.request("POST", f"{path}/leave", expert))
    assert left["status"] == "left" and left["my_role"] == "expert"
    assert poll(central, people["org"].device_token, call["id"])["status"] == "active"
    assert central.request("GET", path, expert).status_code == 404
    ok(central.request("POST", f"{path}/end", people["official"], json={}))


def test_interpreters_come_only_from_interpretation_services(central, national, people):
    """Any organisation's admin could make an interpreter, who then saw and took every
    organisation's interpretation requests: now only an organisation the national admin
    marked as an interpretation service has interpreters who interpret."""
    municipality = make_org(central, national, with_kiosk=False, name="Muu kunta")
    admin = municipality.tokens["org_admin"]
    body = {"email": "tulkki@muu.fi", "role": "interpreter", "password": "x" * 12}
    refused = central.request("POST", "/users", admin, json=body)
    assert refused.status_code == 422 and "interpretation service" in refused.text
    # One made before the rule (or by hand in the database) still interprets nothing.
    rogue = add_user(central, "interpreter", municipality.id)
    ok(
        central.request(
            "PUT", f"/officials/{user_id(central, rogue)}", admin,
            json={"services": [], "languages": ["ar"]},
        )
    )  # fmt: skip
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", people["official"], json={"language": "ar"}))
    assert desk(central, rogue)["interpreting"] == []
    party = requested_party(central, call["id"], people["interpreters"]["arabic2"])
    taken = central.request("POST", f"/desk/interpreting/{party}/take", rogue)
    assert taken.status_code == 404 and "token" not in taken.text
    assert central.request("GET", path, rogue).status_code == 404
    # Only the national admin marks an interpretation service; then its people interpret.
    mark = {"interpretation_service": True}
    path_org = f"/organisations/{municipality.id}"
    assert central.request("PATCH", path_org, admin, json=mark).status_code == 403
    assert ok(central.request("PATCH", path_org, national, json=mark))["interpretation_service"]
    # ... and interpret for an organisation only under an interpretation agreement with it.
    assert desk(central, rogue)["interpreting"] == []
    taken = central.request("POST", f"/desk/interpreting/{party}/take", rogue)
    assert taken.status_code == 404
    agreement = agree(central, national, people["org"].id, municipality.id, "interpretation")
    assert [r["party_id"] for r in desk(central, rogue)["interpreting"]] == [party]
    ok(central.request("POST", f"/agreements/{agreement['id']}/end", national, json={}))
    assert desk(central, rogue)["interpreting"] == []
    ok(central.request("POST", "/users", admin, json=body), 201)
    ok(central.request("PATCH", path_org, national, json={"interpretation_service": False}))
    ok(central.request("POST", f"{path}/end", people["official"], json={}))


def test_another_organisations_party_is_in_the_calls_audit_log(central, people):
    """An interpreter's take, chat, download and leave are the call's organisation's
    business: they show in its audit log (downloads too, though they are reads), and
    in the interpreter's own organisation's."""
    from central.access.audit import visible_to
    from central.access.policy import Access, Person
    from central.db.engine import session_scope
    from central.db.models import AuditEntry, User

    official, interpreter = people["official"], people["interpreters"]["russian"]
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ru"}))
    party = requested_party(central, call["id"], interpreter)
    ok(central.request("POST", f"/desk/interpreting/{party}/take", interpreter))
    ok(central.request("POST", f"{path}/messages", interpreter, json={"text": "Здравствуйте"}), 201)
    shown = show_pdf(central, path, official)
    assert central.request("GET", f"{path}/documents/{shown['id']}", interpreter).status_code == 200
    ok(central.request("POST", f"{path}/leave", interpreter))
    ok(central.request("POST", f"{path}/end", official, json={}))

    me = user_id(central, interpreter)
    wanted = {
        ("POST", f"/api/v1/desk/interpreting/{party}/take"),
        ("POST", "/messages"),
        ("GET", f"/documents/{shown['id']}"),
        ("POST", "/leave"),
    }

    def seen_by(org_id: str) -> set[tuple[str, str]]:
        with session_scope(central.app.state.sessions) as db:
            admin = Access(Person("admin", "org_admin", org_id), db)
            rows = db.scalars(
                select(AuditEntry).where(visible_to(admin), AuditEntry.user_id == me)
            ).all()
            return {
                (r.method, r.path.removeprefix(f"/api/v1/desk/calls/{call['id']}")) for r in rows
            }

    with session_scope(central.app.state.sessions) as db:
        agency_id = db.get(User, me).org_id
    for org_id in (people["org"].id, agency_id):
        # An entry is written once its answer has gone (central/access/audit.py): the
        # last one may land a moment after the client has it.
        assert wait_for(lambda o=org_id: wanted <= seen_by(o), 10), (org_id, seen_by(org_id))
    with session_scope(central.app.state.sessions) as db:
        # An unrelated organisation's admin sees none of it.
        stranger = Access(Person("admin", "org_admin", "no-such-org"), db)
        assert db.scalars(select(AuditEntry).where(visible_to(stranger))).all() == []


@pytest.mark.slow  # Janus is held still for two admin timeouts (5 s each)
def test_a_departed_partys_token_goes_once_janus_answers_again(central, people, media):
    """Leaving while Janus does not answer used to answer 200 and leave the token valid
    until the call ended. Now the party is out of the call's data at once, and central
    takes the token back (and ends their Janus sessions) as soon as Janus answers."""
    import os
    import signal

    from central.db.engine import session_scope
    from central.db.models import CallParty
    from devtools.waiting import wait_for

    official, interpreter = people["official"], people["interpreters"]["arabic"]
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))
    party = requested_party(central, call["id"], interpreter)
    taken = ok(central.request("POST", f"/desk/interpreting/{party}/take", interpreter))
    token = taken["join"]["token"]
    assert janus_create(media, token)["janus"] == "success"

    # The kiosk is still there (in life it polls every second): without this, a loaded
    # machine passes the time after which central ends a silent kiosk's call while the
    # leave below waits out Janus's admin timeouts, and the call's end takes the room,
    # and the token, with it (seen twice in fresh-clone runs). A thread stands in for
    # the kiosk's polls until the test is done.
    import threading

    from central.db.models import Call
    from central.db.types import utcnow

    done = threading.Event()

    def kiosk_polls() -> None:
        while not done.is_set():
            with session_scope(central.app.state.sessions) as db:
                db.get(Call, call["id"]).kiosk_seen_at = utcnow()
            done.wait(0.5)

    poller = threading.Thread(target=kiosk_polls, daemon=True)
    poller.start()
    janus = next(p for p in media.processes if "janus" in str(p.args))
    try:
        os.kill(janus.pid, signal.SIGSTOP)
        try:
            left = ok(central.request("POST", f"{path}/leave", interpreter))
            assert left["status"] == "left"
            assert central.request("GET", path, interpreter).status_code == 404
            # Whether the token is still owed at this moment is timing: two fresh-clone
            # runs saw it already marked taken back (cause not found yet, docs/status.md).
            # What must hold is below: once Janus answers, the token opens nothing.
        finally:
            os.kill(janus.pid, signal.SIGCONT)

        def taken_back() -> bool:
            with session_scope(central.app.state.sessions) as db:
                return bool(db.get(CallParty, party).room_left)

        assert wait_for(taken_back, 30), "central never took the token back"
        with session_scope(central.app.state.sessions) as db:
            assert db.get(Call, call["id"]).status == CallStatus.ACTIVE  # taken back, not ended
    finally:
        done.set()
        poller.join(5)
    assert janus_create(media, token)["janus"] == "error"
    ok(central.request("POST", f"{path}/end", official, json={}))


def test_participants_reach_janus_only_through_centrals_relay(central, people, media):
    """`join.janus_url` is central's relay: a party's token opens a session there and
    joins its own room, but may not ask who is in a room (its own or another's), name
    another room, or do anything once it has left. On SQLite and PostgreSQL: the relay
    asks the database whose token it is."""
    import requests

    official, interpreter = people["official"], people["interpreters"]["arabic"]
    call = active_call(central, people)
    path = f"/desk/calls/{call['id']}"
    ok(central.request("POST", f"{path}/interpreter", official, json={"language": "ar"}))
    party = requested_party(central, call["id"], interpreter)
    join = ok(central.request("POST", f"/desk/interpreting/{party}/take", interpreter))["join"]
    assert join["janus_url"] == f"{central.base}/janus"
    relay = join["janus_url"]

    def post(path: str, body: dict) -> dict:
        body = {"token": join["token"], "transaction": "t", **body}
        return requests.post(relay + path, json=body, timeout=15).json()

    session = post("", {"janus": "create"})["data"]["id"]
    handle = post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
    handle = handle["data"]["id"]
    for body in (
        {"request": "listparticipants", "room": join["room"]},
        {"request": "exists", "room": join["room"]},
        {"request": "list"},
        {"request": "join", "ptype": "publisher", "room": "room-elsewhere"},
    ):
        refused = post(f"/{session}/{handle}", {"janus": "message", "body": body})
        assert refused["janus"] == "error" and "Unauthorized" in refused["error"]["reason"], body
    assert (
        post(f"/{session}", {"janus": "attach", "plugin": "janus.plugin.echotest"})["janus"]
        == "error"
    )
    joined = post(
        f"/{session}/{handle}",
        {"janus": "message", "body": {"request": "join", "ptype": "publisher",
                                      "room": join["room"], "token": join["token"]}},
    )  # fmt: skip
    assert joined["janus"] == "ack"  # Janus took it; the answer comes as an event
    forged = dict(join, token=join["token"][:-4] + "0000")
    assert (
        requests.post(
            relay, json={"janus": "create", "token": forged["token"], "transaction": "t"}, timeout=5
        ).json()["janus"]
        == "error"
    )

    # The probe before a rebuild: the call's Janus answers a party of the call; a forged
    # token, none, or the party once gone learn nothing of it (not even its version).
    def info(token: str | None) -> dict:
        params = {"token": token} if token is not None else {}
        return requests.get(f"{relay}/info", params=params, timeout=5).json()

    assert info(join["token"])["janus"] == "server_info"
    for token in (forged["token"], None):
        refused = info(token)
        assert refused["janus"] == "error" and "version" not in refused
    ok(central.request("POST", f"{path}/leave", interpreter))
    assert post("", {"janus": "create"})["janus"] == "error"  # gone with the party
    assert info(join["token"])["janus"] == "error"
    ok(central.request("POST", f"{path}/end", official, json={}))
