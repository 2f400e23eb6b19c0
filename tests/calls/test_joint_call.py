"""A joint service point's call on real components: the citizen at the municipality's
kiosk (aiortc, a camera driver reading a QR video) and an official of Kela, in Kela's own
organisation, at their desk in headless Chromium, through Janus in a network namespace,
under an agreement between the two. Media both ways is proven by decoding the QR code
each side sends; without the agreement nobody is offered the call."""

from __future__ import annotations

import pytest

from devtools.central_world import add_user, agree, make_org, ok, user_id
from devtools.ui_driver import SCREENSHOTS
from devtools.waiting import wait_for
from tests.calls.conftest import open_desk
from tests.support.kiosk_side import desk_sees, kiosk_sees

pytestmark = pytest.mark.slow

KELA_PTV = "06d2b317-7b64-5bfc-bacc-9037b6985ccb"  # the sample catalogue's first service's


@pytest.fixture(scope="module")
def kela(call_world):
    """Kela as an organisation of its own, with an official who serves the world's
    service (Kela's in the sample catalogue): (their email, the organisation's id)."""
    from central.db.engine import session_scope
    from central.db.models import User

    central = call_world.central
    national = add_user(central, "national_admin", None)
    org = make_org(central, national, with_kiosk=False, name="Kela", ptv_id=KELA_PTV)
    token = add_user(central, "official", org.id)
    me = user_id(central, token)
    ok(
        central.request(
            "PUT",
            f"/officials/{me}",
            org.tokens["org_admin"],
            json={"services": [call_world.service], "languages": ["fi"]},
        )
    )
    with session_scope(central.app.state.sessions) as db:
        email = db.get(User, me).email
    return {"email": email, "org": org, "national": national}


def test_a_kela_official_serves_a_citizen_at_the_municipalitys_kiosk(
    call_world, chromium, kiosk, kela, pages
):
    central, org = call_world.central, call_world.org
    url = f"/kiosk/video/availability?service_id={call_world.service}&language=fi"
    page = open_desk(chromium, call_world, email=kela["email"])
    pages.append(page)
    page.click("#set-available")
    assert wait_for(lambda: page.inner_text("#presence") == "Available", 10)
    # Kela's service is Kela's: without an agreement the kiosk offers no call at all.
    assert ok(central.request("GET", url, org.device_token))["served"] is False

    agreement = agree(central, kela["national"], org.id, kela["org"].id, languages=["fi"])
    seen = ok(central.request("GET", url, org.device_token))
    assert seen["served"] is True and seen["officials_available"] == 1

    kiosk.session.start(call_world.service, "fi")
    assert wait_for(lambda: kiosk.view.status == "queued", 10)
    entry = page.wait_for_selector("#queue li", timeout=5000)
    # The official sees where the citizen is: the service point and its municipality.
    assert "Yhteispalvelupiste, Kunta" in entry.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "desk-joint-queue.png"))
    page.click("#queue li button")

    assert wait_for(lambda: kiosk.view.status == "active", 10)
    assert wait_for(lambda: kiosk_sees(kiosk, "official-camera"), 20), "no desk video at kiosk"
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 20), "no kiosk video at the desk"
    assert "Kunta" in page.inner_text("#call-place")
    page.screenshot(path=str(SCREENSHOTS / "desk-joint-call.png"))

    # Ending the agreement mid-call: this call goes on; the next citizen cannot ask.
    ok(central.request("POST", f"/agreements/{agreement['id']}/end", org.tokens["org_admin"]))
    assert ok(central.request("GET", url, org.device_token))["served"] is False
    assert wait_for(lambda: desk_sees(page, "kiosk-camera"), 10), "the call stopped"
    page.click("#end")
    assert wait_for(lambda: kiosk.view.status == "ended", 20)
    assert kiosk.view.outcome == "completed"


def test_the_kiosk_offers_other_channels_where_nobody_serves_by_video(
    call_world, display, kela, tmp_path
):
    """In the real Kivy UI: Kela's service at a kiosk no agreement with Kela covers shows
    how else to reach it, and no video button."""
    from tests.calls.test_call_ui import Address, CallFacts
    from tests.support.own_process import in_fresh_process

    url = f"/kiosk/video/availability?service_id={call_world.service}&language=en"
    org = call_world.org
    assert ok(call_world.central.request("GET", url, org.device_token))["served"] is False
    facts = CallFacts(
        Address(call_world.central.base), org, call_world.service, "", "", call_world.folder
    )
    in_fresh_process(show_a_service_nobody_serves, facts, tmp_path)


def show_a_service_nobody_serves(world, tmp_path):
    from tests.calls.test_call_ui import enrolled_ui

    ui = enrolled_ui(world, tmp_path)
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("service", service_id=world.service)
    service = ui.app.screen("service")
    assert ui.wait_until(lambda: service.video == "unavailable", 15), service.video_text
    text = service.video_text
    assert text.startswith("This service is not served by video at this service point."), text
    assert "You can reach it like this:" in text and "Book" not in text, text
    # The video button is there only for a call someone can take: hidden and disabled.
    button = next(w for w in service.walk() if getattr(w, "text", "") == "Talk to an official now")
    assert button.disabled and button.opacity == 0 and button.height == 0
    ui.screenshot("service-not-served")
