"""A video appointment from home, end to end: a time booked from the official's calendar,
the citizen's Chromium (fake camera showing "citizen-camera") opens the visit link,
passes the pre-call check and waits in the queue; the official's desk in a second
Chromium sees "from home" and answers. Video is decoded both ways through the same
Janus room and TURN a kiosk uses; chat both ways; the official's document downloaded at
home; the citizen's upload downloadable by that official only. Pages pass axe."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from devtools.appointment_world import calendar_body, serve
from devtools.central_world import add_user, make_org, ok
from devtools.waiting import wait_for
from tests.calls.conftest import launch_desk_browser, open_desk
from tests.support.browser_checks import axe_violations
from tests.support.call_api import PDF, png_bytes
from tests.support.kiosk_side import desk_sees

pytestmark = pytest.mark.slow  # two browsers, Janus and coturn

HELSINKI = ZoneInfo("Europe/Helsinki")
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "visit"


def _book_now(world) -> str:
    """A calendar whose only time today starts within five minutes (the visit opens 15
    minutes before), booked from home; the visit link's token."""
    from central.appointments import links

    central, org = world.central, world.org
    now = datetime.now(HELSINKI)
    start = now.replace(second=0, microsecond=0) + timedelta(
        minutes=5 - now.minute % 5 if now.minute % 5 else 5
    )
    end = start + timedelta(minutes=30)
    if end.date() != start.date():
        pytest.skip("the next slot crosses midnight")
    serve(central, org.tokens["org_admin"], world.official_token, [world.service])
    body = calendar_body(
        world.service,
        weekly=[],
        exceptions={
            start.date().isoformat(): [
                {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
            ]
        },
    )
    ok(central.request("POST", "/appointment-calendars", world.official_token, json=body), 201)
    booked = ok(
        central.request(
            "POST",
            "/appointments",
            org.tokens["booking_system"],
            json={
                "service_id": world.service,
                "place": "home",
                "language": "en",
                "starts_at": start.isoformat(),
                "name": "Maija Virtanen",
            },
        ),
        201,
    )
    return links.token_for(central.app.state.secret_key, links.MANAGE, booked["id"])


def test_a_visit_from_home_through_the_officials_queue(call_world, pages):
    from playwright.sync_api import sync_playwright

    world = call_world
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    token = _book_now(world)
    base = world.central.base
    with sync_playwright() as playwright:
        desk_browser = launch_desk_browser(playwright.chromium, world)
        home_browser = launch_desk_browser(playwright.chromium, world, camera="citizen-camera")
        try:
            # CSP bypassed only so axe-core can be injected (the page's CSP: test_visit_page).
            phone = home_browser.new_context(
                bypass_csp=True, viewport={"width": 412, "height": 915}
            )
            home = phone.new_page()
            home.goto(f"{base}/visit/{token}?lang=en")
            assert axe_violations(home) == []
            home.click("#start-check")
            home.wait_for_function(
                "document.getElementById('network-result').textContent === 'works'"
            )
            assert home.inner_text("#camera-result") == "works"
            assert home.inner_text("#microphone-result").startswith("works")
            home.screenshot(path=str(SCREENSHOTS / "visit-check.png"), full_page=True)
            home.click("#join")
            home.wait_for_selector("#call:not([hidden])")
            assert "queue" in home.inner_text("#status")

            desk = open_desk(desk_browser, world)
            pages.append(desk)
            desk.click("#set-available")
            desk.wait_for_selector("#queue li button", timeout=15000)
            assert "from home" in desk.inner_text("#queue")
            # The day's appointments: this one, from home, waiting in the queue.
            desk.wait_for_selector("#appointments tbody tr[data-state=waiting]", timeout=40000)
            assert "Maija Virtanen" in desk.inner_text("#appointments")
            desk.screenshot(path=str(SCREENSHOTS / "desk-appointments.png"), full_page=True)
            desk.click("#queue li button")
            assert wait_for(lambda: desk_sees(desk, "citizen-camera"), 30)
            assert wait_for(lambda: desk_sees(home, "official-camera"), 30)
            assert home.inner_text("#status") == "In the call"
            assert axe_violations(home) == []

            # Chat both ways.
            home.fill("#chat-text", "Hei, kuuluuko?")
            home.press("#chat-text", "Enter")
            desk.wait_for_selector("#chat >> text=Hei, kuuluuko?")
            desk.fill("#chat-text", "Kuuluu hyvin.")
            desk.press("#chat-text", "Enter")
            home.wait_for_function(
                "document.getElementById('chat').innerText.includes('Kuuluu hyvin.')"
            )

            # The official shows a document; the citizen downloads it at home.
            call_id = _active_call(world)
            auth = {"Authorization": f"Bearer {world.official_token}"}
            shown = requests.post(
                f"{base}/api/v1/desk/calls/{call_id}/documents?name=päätös.pdf",
                data=PDF,
                headers=auth | {"content-type": "application/pdf"},
                timeout=15,
            )
            assert shown.status_code == 201, shown.text
            home.wait_for_selector("#documents a")
            with home.expect_download() as download:
                home.click("#documents a")
            assert open(download.value.path(), "rb").read() == PDF

            # The citizen sends a photo; the official (and only they) can download it.
            photo = world.folder / "kela-liite.png"
            photo.write_bytes(png_bytes())
            home.set_input_files("#upload", str(photo))
            home.wait_for_function(
                "document.getElementById('upload-status').textContent.startsWith('Sent')"
            )
            state = ok(world.central.request("GET", f"/desk/calls/{call_id}", world.official_token))
            [sent] = [d for d in state["documents"] if d["direction"] == "from_citizen"]
            got = requests.get(
                f"{base}/api/v1/desk/calls/{call_id}/documents/{sent['id']}",
                headers=auth,
                timeout=15,
            )
            assert got.status_code == 200 and got.content == png_bytes()
            _nobody_else_gets_it(world, call_id, sent["id"], token)

            home.screenshot(path=str(SCREENSHOTS / "visit-call.png"), full_page=True)
            home.click("#end")
            home.wait_for_selector("#ended:not([hidden])")
            desk.wait_for_selector("#call[hidden]", state="attached", timeout=15000)
        finally:
            home_browser.close()
            desk_browser.close()
    with_history = ok(world.central.request("GET", "/stats/calls", world.org.tokens["org_admin"]))
    assert with_history  # the call was counted (its split by place: test_reports)


def _active_call(world) -> str:
    from sqlalchemy import select

    from central.db.engine import session_scope
    from central.db.models import Call

    with session_scope(world.central.app.state.sessions) as db:
        return db.scalars(
            select(Call.id).where(Call.status == "active", Call.place == "home")
        ).one()


def _nobody_else_gets_it(world, call_id: str, document_id: str, token: str) -> None:
    """Another organisation's official, a colleague of the official, and the visit link
    itself (which opens what is shown to the citizen) get 404, and no bytes."""
    central = world.central
    national = add_user(central, "national_admin", None)
    other = make_org(central, national, with_kiosk=False, name="Muu virasto")
    colleague = add_user(central, "official", world.org.id)
    for attacker in (other.tokens["official"], colleague):
        r = requests.get(
            f"{central.base}/api/v1/desk/calls/{call_id}/documents/{document_id}",
            headers={"Authorization": f"Bearer {attacker}"},
            timeout=15,
        )
        assert r.status_code == 404 and png_bytes() not in r.content
    r = requests.get(f"{central.base}/visit/{token}/call/documents/{document_id}", timeout=15)
    assert r.status_code == 404 and png_bytes() not in r.content
