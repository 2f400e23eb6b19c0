"""Strong identification in the real Kivy UI under Xvfb, in a real call through Janus:
the official asks, the call screen asks the citizen for their ID card, the virtual
FINEID card (vsmartcard through a real pcscd) gets a wrong PIN, then the right one,
central checks the card (chain, a real OCSP responder, the signature) and the kiosk
shows only "Identified: Matti M."; the official's desk reads who it is. The PIN keys
are named by place, never by digit, for speech. Screenshots in test-artifacts/ui/."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from devtools.card_pki import make_card_ca
from devtools.central_world import Org
from tests.calls.conftest import built_call_world
from tests.support.own_process import in_fresh_process

pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is installed by ./run test"),
]


@dataclass
class Address:
    base: str


@dataclass
class Facts:
    """What the UI's process needs (it must pickle); also what open_desk reads."""

    central: Address
    org: Org
    service: str
    official_token: str
    official_email: str
    card_folder: Path
    folder: Path


@pytest.fixture(scope="module")
def card_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("card-call")
    pki = make_card_ca(folder / "vrk")
    citizen = pki.citizen("Matti Juhani", "Meikäläinen", "999198625", kind="ec")
    (folder / "card.der").write_bytes(citizen.der)
    (folder / "card.key").write_bytes(
        citizen.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pki.start_responder()
    try:
        with built_call_world(
            folder,
            fineid_trust_anchors=str(pki.folder / "root.pem"),
            fineid_ca_certificates=str(pki.folder / "ca.pem"),
        ) as world:
            yield world, folder
    finally:
        pki.stop()


def test_the_citizen_identifies_with_their_id_card_in_a_call(card_world, display, pcscd, tmp_path):
    world, folder = card_world
    facts = Facts(
        Address(world.central.base),
        world.org,
        world.service,
        world.official_token,
        world.official_email,
        folder,
        world.folder,
    )
    in_fresh_process(identify_in_a_call, facts, tmp_path)
    # Nothing of the identity in the kiosk's state.db.
    state = (tmp_path / "state").glob("*.db")
    for db in state:
        assert b"999198625" not in db.read_bytes() and "Meikäläinen".encode() not in db.read_bytes()


def identify_in_a_call(facts: Facts, tmp_path: Path) -> None:
    from devtools.ui_driver import SCREENSHOTS
    from hardware.base import DeviceState
    from tests.calls.conftest import desk_browser, open_desk
    from tests.support.kiosk_ui_call import end_and_forget, kiosk_ui, official_api

    desk = official_api(facts.central.base, facts.official_token)
    ui = kiosk_ui(facts.central.base, facts.org, tmp_path, card_reader="pcsc:Virtual PCD")
    reader = ui.opened("card_reader")
    assert ui.wait_until(lambda: reader.state == DeviceState.ONLINE, 45)
    desk("PUT", "/desk/presence", json={"presence": "available"})
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("call", service_id=facts.service)
    call = ui.app.screen("call")
    assert ui.wait_until(lambda: call.can_call, 20), call.check_text
    ui.tap("Start the call")
    # The service needs strong identification: asked while queuing; the citizen waits
    # for the official instead.
    assert ui.wait_until(lambda: call.view.call_id and call.phase == "identify", 15), call.phase
    assert "you can identify while you wait" in call.identify_text, call.identify_text
    ui.tap("Back")
    assert ui.wait_until(lambda: call.phase == "waiting", 15)
    desk("POST", f"/desk/calls/{call.view.call_id}/accept")
    assert ui.wait_until(lambda: call.phase == "in_call", 15)
    # The official asks on their desk page (Chromium).
    with desk_browser(facts) as browser:
        page = open_desk(browser, facts)
        page.wait_for_selector("#ask-card:visible", timeout=10000)
        page.click("#ask-card")
        assert ui.wait_until(lambda: call.phase == "identify", 15), call.phase
        identify_with_the_card(ui, call, reader, facts)
        page.wait_for_selector("#show-identity:visible", timeout=10000)
        page.click("#show-identity")
        page.wait_for_function(
            "() => document.getElementById('identity').innerText.includes('999198625')",
            timeout=10000,
        )
        assert "Meikäläinen" in page.inner_text("#identity")
        page.screenshot(path=str(SCREENSHOTS / "desk-identified.png"))
        page.close()
    seen = desk("GET", f"/desk/calls/{call.view.call_id}/identity")
    assert seen["satu"] == "999198625" and seen["level"] == "strong"
    end_and_forget(ui, call, "fineid", "999198625", "Matti", "Meikäläinen")


def identify_with_the_card(ui, call, reader, facts: Facts) -> None:
    from cryptography import x509

    from devtools.card_pki import Citizen
    from devtools.fineid_card import FineidCard
    from devtools.vpcd_card import connect_card

    assert "Put your ID card in the reader" in call.identify_text
    ui.screenshot("call-identify")
    # Speech names the PIN keys by place, never by digit.
    keys = [w for w in call.walk() if getattr(w, "key_value", "").isdigit()]
    assert keys and all(k.speak_as.startswith("Row ") for k in keys)

    key = serialization.load_pem_private_key((facts.card_folder / "card.key").read_bytes(), None)
    der = (facts.card_folder / "card.der").read_bytes()
    citizen = Citizen(
        "Matti Juhani", "Meikäläinen", "999198625", key, x509.load_der_x509_certificate(der)
    )
    card = FineidCard(citizen, pin="2468")
    connect_card(card)
    assert ui.wait_until(lambda: reader.status["card"] == "present", 20)
    for digit in "1357":
        call.pin_key(digit)
    assert call.pin_length == 4 and "1357" not in ui.texts()
    ui.tap("OK")
    assert ui.wait_until(lambda: "Tries left: 4" in call.identify_text, 30), call.identify_text
    for digit in "2468":
        call.pin_key(digit)
    ui.tap("OK")
    assert ui.wait_until(lambda: call.phase == "in_call", 30), call.identify_text
    assert call.note == "Identified: Matti M."
    ui.screenshot("call-identified")
    card.remove()
