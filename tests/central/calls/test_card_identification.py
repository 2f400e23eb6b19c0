"""Strong identification by the ID card, through central's API with a real Janus (an
active call) and a real OCSP responder: the card's proof accepted and sealed to the
call, shown to the call's official only and audited, and every attack refused with a
clear error — a challenge used twice, one of another call, an expired one, a
signature over another challenge, a revoked card, a card of an unknown CA, an official
trying to record "strong" by hand. The identity is nowhere in central's database but
its sealed column.

The card's signature is made with the test card's key as its chip would; the card
itself, APDUs and all, is tested in tests/hardware/test_fineid_card.py.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from central.db.engine import session_scope
from central.db.models import AuditEntry, IdentityChallenge
from central.db.types import utcnow
from devtools.card_pki import make_card_ca
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, agree, make_org, ok, user_id
from devtools.media_servers import MediaServers
from devtools.waiting import wait_for
from tests.central.identity.test_fineid_verify import card_sign
from tests.support.call_api import desk, kiosk_call, poll
from tests.support.identity_scan import assert_not_in_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    ca = make_card_ca(tmp_path_factory.mktemp("vrk"))
    ca.people = {
        "matti": ca.citizen("Matti Juhani", "Meikäläinen", "999198625", kind="ec"),
        "revoked": ca.citizen("Kalle", "Kadonnut", "999198658", revoked=True),
    }
    ca.start_responder()
    yield ca
    ca.stop()


@pytest.fixture(scope="module")
def central(database_url: str, media: MediaServers, pki) -> Iterator[RunningCentral]:
    running = start_central(
        database_url,
        fineid_trust_anchors=str(pki.folder / "root.pem"),
        fineid_ca_certificates=str(pki.folder / "ca.pem"),
        **media.central_settings(),
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(world, central):
    """The calls' world (tests/central/calls/conftest.py), its official Anna available:
    she takes the calls whose citizens identify."""
    anna = world["officials"]["anna"][1]
    ok(central.request("PUT", "/desk/presence", anna, json={"presence": "available"}))
    return {**world, "official": anna}


def active_call(central, world) -> dict:
    call = kiosk_call(central, world["org"].device_token, world["service"])
    ok(central.request("POST", f"/desk/calls/{call['id']}/accept", world["official"]))
    return call


def joined_interpreter(central, world, call_id: str) -> str:
    """An interpreter of an interpretation service with an agreement with the call's
    organisation, joined to the call at its official's request: their token."""
    national = add_user(central, "national_admin", None)
    agency = make_org(central, national, with_kiosk=False, interpretation_service=True)
    agree(central, national, world["org"].id, agency.id, "interpretation", languages=["ar"])
    token = add_user(central, "interpreter", agency.id)
    ok(
        central.request(
            "PUT",
            f"/officials/{user_id(central, token)}",
            agency.tokens["org_admin"],
            json={"services": [], "languages": ["ar"]},
        )
    )
    path = f"/desk/calls/{call_id}/interpreter"
    ok(central.request("POST", path, world["official"], json={"language": "ar"}))
    [request] = [r for r in desk(central, token)["interpreting"]]
    ok(central.request("POST", f"/desk/interpreting/{request['party_id']}/take", token))
    return token


def challenge_for(central, world, call_id: str) -> dict:
    path = f"/kiosk/calls/{call_id}/identification/challenge"
    return ok(central.request("POST", path, world["org"].device_token, json={}), 201)


def prove(central, world, call_id, challenge, citizen, signed_over: bytes | None = None):
    raw = base64.b64decode(challenge["challenge"])
    return central.request(
        "POST",
        f"/kiosk/calls/{call_id}/identification/card",
        world["org"].device_token,
        json={
            "challenge_id": challenge["challenge_id"],
            "certificate": base64.b64encode(citizen.der).decode(),
            "signature": base64.b64encode(card_sign(citizen, signed_over or raw)).decode(),
        },
    )


def test_the_card_identifies_the_citizen_for_this_call_only(central, world, pki, caplog):
    caplog.set_level(logging.DEBUG)  # everything central logs while it happens
    matti = pki.people["matti"]
    call = active_call(central, world)
    challenge = challenge_for(central, world, call["id"])
    assert len(base64.b64decode(challenge["challenge"])) == 32
    answer = ok(prove(central, world, call["id"], challenge, matti))
    assert answer == {"level": "strong", "method": "fineid", "shown_name": "Matti M."}
    assert poll(central, world["org"].device_token, call["id"])["identification"] == "strong"
    # The call's official sees who it is; the view is in the audit log.
    seen = ok(central.request("GET", f"/desk/calls/{call['id']}/identity", world["official"]))
    assert (seen["satu"], seen["surname"], seen["method"], seen["level"]) == (
        "999198625",
        "Meikäläinen",
        "fineid",
        "strong",
    )

    def audited() -> bool:
        # Entries are written once the answer has gone: wait for it.
        with session_scope(central.app.state.sessions) as db:
            return bool(
                db.scalars(
                    select(AuditEntry.path).where(AuditEntry.path.like(f"%{call['id']}/identity"))
                ).all()
            )

    assert wait_for(audited, 10), "the view of the identity is audited"
    # Another official of the same organisation (not this call's) gets nothing.
    other = add_user(central, "official", world["org"].id)
    r = central.request("GET", f"/desk/calls/{call['id']}/identity", other)
    assert r.status_code == 404 and "999198625" not in r.text
    # An interpreter in the call reaches the call, never who the citizen is.
    interpreter = joined_interpreter(central, world, call["id"])
    r = central.request("GET", f"/desk/calls/{call['id']}/identity", interpreter)
    assert r.status_code == 404 and "999198625" not in r.text
    theirs = ok(central.request("GET", f"/desk/calls/{call['id']}", interpreter))
    assert theirs["my_role"] == "interpreter" and "999198625" not in str(theirs)
    # The same challenge again: refused, though the proof is good.
    again = prove(central, world, call["id"], challenge, matti)
    assert again.status_code == 409 and again.json()["error"]["code"] == "challenge_spent"
    # Nobody records "strong" by hand, nor turns it back.
    put = f"/desk/calls/{call['id']}/identification"
    assert (
        central.request("PUT", put, world["official"], json={"level": "strong"}).status_code == 422
    )
    assert central.request("PUT", put, world["official"], json={"level": "weak"}).status_code == 409
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", world["official"], json={}))
    # Nor in anything central logged (its own log and the access log).
    assert caplog.records, "central's logging was captured"
    assert "999198625" not in caplog.text and "Meikäläinen" not in caplog.text
    # The identity is in no column of central's database but the sealed one.
    assert_not_in_database(central.app.state.sessions, "999198625", "Meikäläinen")


def test_attacks_on_the_card_route_are_refused(central, world, pki, tmp_path):
    matti = pki.people["matti"]
    call = active_call(central, world)
    # A signature over another challenge.
    challenge = challenge_for(central, world, call["id"])
    r = prove(central, world, call["id"], challenge, matti, signed_over=os.urandom(32))
    assert r.status_code == 422 and "not over this challenge" in r.json()["error"]["message"]
    # A revoked card (the OCSP responder says so).
    challenge = challenge_for(central, world, call["id"])
    r = prove(central, world, call["id"], challenge, pki.people["revoked"])
    assert r.status_code == 422 and "revoked" in r.json()["error"]["message"]
    # A card of a CA central does not trust.
    stranger = make_card_ca(tmp_path / "other", name="Other").citizen("Eve", "X", "999198641")
    challenge = challenge_for(central, world, call["id"])
    r = prove(central, world, call["id"], challenge, stranger)
    assert r.status_code == 422 and "trusted CA" in r.json()["error"]["message"]
    # An expired challenge.
    challenge = challenge_for(central, world, call["id"])
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(IdentityChallenge)
            .where(IdentityChallenge.id == challenge["challenge_id"])
            .values(expires_at=utcnow())
        )
    assert prove(central, world, call["id"], challenge, matti).status_code == 409
    # Another kiosk cannot use this call's challenge nor reach the call at all.
    other = make_org(central, central_national(central))
    r = central.request(
        "POST",
        f"/kiosk/calls/{call['id']}/identification/card",
        other.device_token,
        json={"challenge_id": "x", "certificate": "AA==", "signature": "AA=="},
    )
    assert r.status_code == 404
    # Not base64: a clear 422.
    challenge = challenge_for(central, world, call["id"])
    r = central.request(
        "POST",
        f"/kiosk/calls/{call['id']}/identification/card",
        world["org"].device_token,
        json={"challenge_id": challenge["challenge_id"], "certificate": "%%", "signature": "AA=="},
    )
    assert r.status_code == 422 and "base64" in r.json()["error"]["message"]
    assert poll(central, world["org"].device_token, call["id"])["identification"] == "none"
    assert desk(central, world["official"])["active"]["identification"] == "none"
    ok(central.request("POST", f"/desk/calls/{call['id']}/end", world["official"], json={}))


def central_national(central) -> str:
    return add_user(central, "national_admin", None)


def test_the_official_asks_and_the_kiosks_card_reader_proves_it(central, world, pki, pcscd):
    """The whole route with the kiosk's own code: the official asks, the kiosk sees the
    request, reads the virtual FINEID card through pcscd, the citizen's PIN (wrong once,
    then right), central checks, the desk sees who it is."""
    from devtools.fineid_card import FineidCard
    from devtools.vpcd_card import connect_card
    from hardware.base import DeviceState
    from hardware.cardreader import fineid
    from hardware.cardreader.pcsc import CardReader
    from kiosk.agent.client import CentralClient
    from kiosk.call import card_identity

    call = active_call(central, world)
    path = f"/desk/calls/{call['id']}"
    asked = ok(
        central.request("POST", f"{path}/identification/request", world["official"], json={})
    )
    assert asked["identification_requested"] == "fineid"
    kiosk = poll(central, world["org"].device_token, call["id"])
    assert kiosk["identification_requested"] == "fineid"

    reader = CardReader(reader_filter="Virtual PCD")
    reader.start()
    card = FineidCard(pki.people["matti"], pin="4321")
    try:
        assert wait_for(lambda: reader.state == DeviceState.ONLINE, 45)
        connect_card(card)
        assert wait_for(lambda: reader.status["card"] == "present")
        client = CentralClient(central.base, world["org"].device_token)
        assert card_identity.pin_tries_left(reader.session) == 5
        with pytest.raises(fineid.WrongPin) as wrong:
            card_identity.identify(client, reader.session, call["id"], "1111")
        assert wrong.value.tries_left == 4
        done = card_identity.identify(client, reader.session, call["id"], "4321")
    finally:
        card.remove()
        reader.stop()
    assert (done.level, done.method, done.shown_name) == ("strong", "fineid", "Matti M.")
    kiosk = poll(central, world["org"].device_token, call["id"])
    assert kiosk["identification"] == "strong" and kiosk["identification_requested"] is None
    seen = ok(central.request("GET", f"{path}/identity", world["official"]))
    assert seen["satu"] == "999198625"
    ok(central.request("POST", f"{path}/end", world["official"], json={}))
    # Reports count the call as strongly identified, and nothing of who.
    report = ok(central.request("GET", "/stats/calls", world["org"].tokens["org_admin"]))
    assert sum(i["identified_strong"] for i in report["items"]) >= 1
    assert "999198625" not in str(report) and "Meikäläinen" not in str(report)
