"""Identification by the citizen's own phone in the real Kivy UI under Xvfb, in a real
call through Janus, before the official answers: the service needs strong
identification (central's overlay, synced to the kiosk's catalogue), so while the citizen
queues the call screen shows central's QR code and short code. The test reads the QR
from a screenshot of the kiosk's window, as a phone's camera would, compares the short
code on the phone's page, logs in at a local Suomi.fi-shaped IdP and returns; the kiosk
shows only "Identified: Nelli K.", and the official who answers sees who it is.
Screenshots in test-artifacts/ui/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import requests

from devtools.central_world import Org, add_user, ok
from devtools.saml_idp import PERSONS, key_and_certificate, running_idp
from tests.calls.conftest import built_call_world
from tests.support.own_process import in_fresh_process

pytestmark = pytest.mark.slow
NELLI = PERSONS[0]


@dataclass
class Facts:
    """What the UI's process needs (it must pickle)."""

    central: str
    org: Org
    service: str
    official_token: str


@pytest.fixture(scope="module")
def phone_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone-call")
    key, certificate = key_and_certificate(folder, "sp")
    with running_idp(folder) as idp:
        with built_call_world(
            folder,
            suomifi_idp_metadata=str(idp.write_metadata()),
            suomifi_sp_key=str(key),
            suomifi_sp_certificate=str(certificate),
        ) as world:
            base = world.central.base
            idp.trust(requests.get(f"{base}/eid/saml/metadata", timeout=10).text)
            national = add_user(world.central, "national_admin", None)
            path = f"/services/{world.service}/overlay"
            ok(world.central.request("PUT", path, national, json={"identification": "strong"}))
            yield world


def test_the_citizen_identifies_by_phone_while_queuing(phone_world, display, tmp_path):
    world = phone_world
    facts = Facts(world.central.base, world.org, world.service, world.official_token)
    in_fresh_process(identify_while_queuing, facts, tmp_path)
    for db in (tmp_path / "state").glob("*.db"):
        content = db.read_bytes()
        assert NELLI.hetu.encode() not in content and NELLI.surname.encode() not in content


def phone_logs_in(address: str, short_code: str) -> str:
    """The citizen's phone: the QR's page, the IdP's login, back to central."""
    http = requests.Session()
    page = http.get(address, timeout=10)
    assert page.status_code == 200 and short_code in page.text, page.text
    to_idp = http.post(address, allow_redirects=False, timeout=10)
    assert to_idp.status_code == 303
    login = http.get(to_idp.headers["location"], timeout=10)
    key = re.search(r'name="key" value="([^"]+)"', login.text).group(1)
    idp_base = to_idp.headers["location"].split("/idp/")[0]
    answer = http.post(f"{idp_base}/idp/login", data={"key": key, "person": "0"}, timeout=10)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', answer.text))
    action = unescape(re.search(r'action="([^"]+)"', answer.text).group(1))
    done = http.post(action, data={k: unescape(v) for k, v in form.items()}, timeout=10)
    assert done.status_code == 200, done.text
    return done.text


def identify_while_queuing(facts: Facts, tmp_path: Path) -> None:
    import cv2
    import zxingcpp

    from kiosk import catalogue
    from tests.support.kiosk_ui_call import end_and_forget, kiosk_ui, official_api

    desk = official_api(facts.central, facts.official_token)
    ui = kiosk_ui(facts.central, facts.org, tmp_path)
    http = requests.Session()
    http.trust_env = False
    # The kiosk's catalogue, synced from central as the agent does: the service needs
    # strong identification.
    device = {"Authorization": f"Bearer {facts.org.device_token}"}
    page = http.get(f"{facts.central}/api/v1/kiosk/catalogue", headers=device, timeout=30).json()
    catalogue.apply_delta(ui.app.store, page["items"], page["deleted"], page["reset"])
    assert catalogue.service(ui.app.store, facts.service).item["identification"] == "strong"
    desk("PUT", "/desk/presence", json={"presence": "available"})  # answers later
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("call", service_id=facts.service)
    call = ui.app.screen("call")
    assert ui.wait_until(lambda: call.can_call, 20), call.check_text
    ui.tap("Start the call")
    # Queued, the kiosk asks for identification; without a card reader, by phone.
    assert ui.wait_until(lambda: call.phase == "identify_phone", 20), (call.phase, call.note)
    assert "you can identify while you wait" in call.phone_text
    assert len(call.phone_code) == 4 and call.phone_code in ui.texts()
    shot = ui.screenshot("call-identify-phone")
    [found] = zxingcpp.read_barcodes(cv2.imread(str(shot)))
    assert "/eid/" in found.text
    done = phone_logs_in(found.text, call.phone_code)
    assert "Tunnistautuminen onnistui" in done and NELLI.hetu not in done
    assert ui.wait_until(lambda: call.phase == "waiting", 15), call.phone_text
    assert call.note == "Identified: Nelli K." and call.phone_code == ""
    assert call.ids.phone_qr.texture is None
    ui.screenshot("call-identified-by-phone")
    # The official who answers sees a strongly identified citizen, and who it is.
    desk("POST", f"/desk/calls/{call.view.call_id}/accept")
    assert ui.wait_until(lambda: call.phase == "in_call", 15)
    seen = desk("GET", f"/desk/calls/{call.view.call_id}/identity")
    assert (seen["hetu"], seen["method"], seen["level"]) == (NELLI.hetu, "suomifi", "strong")
    end_and_forget(ui, call, "suomifi", NELLI.hetu, "Nelli", NELLI.surname)
