"""The citizen's call in the real Kivy UI under Xvfb, against the desk in headless Chromium,
through real Janus: walk-in, queue, video both ways, chat, a PDF shown page by page,
a page scanned (SANE's test backend) and downloaded by the official, an interpreter
joining (their video small beside the official's, named) and leaving, the idle timeout
held during the call, and everything of the call wiped when the session ends.

Screenshots land in test-artifacts/ui/call-*.png for a person to look at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest
import requests

from devtools.central_world import Org
from devtools.sample_document import sample_pdf
from kiosk.agent.client import Credentials
from tests.calls.conftest import desk_browser, launch_desk_browser, open_desk
from tests.support.media_files import decode_qr, kiosk_video
from tests.support.own_process import in_fresh_process

pytestmark = pytest.mark.slow


def enrolled_ui(world: CallFacts, tmp_path):
    from devtools.ui_driver import UiDriver

    video = kiosk_video(tmp_path / "kiosk.avi")
    devices = {"camera": f"video:{video}", "scanner": "sim", "printer": "sim", "gpio": "sim"}
    config = {"call_microphone": "none", "call_speaker": "none", "idle_timeout_s": 30}
    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    Credentials(
        central=world.central.base,
        kiosk_id=world.org.kiosk_id,
        device_token=world.org.device_token,
        site_id=world.org.site_id,
        insecure=True,
    ).save(state / "credentials.json")
    return UiDriver(tmp_path, devices=devices, config=config)


def screen_shows(ui, text: str) -> bool:
    image = cv2.imread(str(ui.screenshot("call-probe")))
    return text in decode_qr(image)


@dataclass
class Address:
    base: str


@dataclass
class CallFacts:
    """What the UI's process needs of the call's world (it must pickle)."""

    central: Address
    org: Org
    service: str
    official_email: str
    interpreter_email: str
    folder: Path


def test_a_citizen_calls_an_official_from_the_kiosk(call_world, display, interpreter, tmp_path):
    facts = CallFacts(
        Address(call_world.central.base),
        call_world.org,
        call_world.service,
        call_world.official_email,
        interpreter,
        call_world.folder,
    )
    # A fresh interpreter: Kivy's window exists once per process, and Playwright does
    # not survive a fork of a process that ran it before (other tests here do).
    in_fresh_process(run_call, facts, tmp_path)


def run_call(world: CallFacts, tmp_path):
    ui = enrolled_ui(world, tmp_path)
    with desk_browser(world) as browser:
        desk = open_desk(browser, world, "lang=fi")
        desk.click("#set-available")

        # Started and chosen directly, not tapped: on a loaded machine a tap on the attract
        # screen can last long enough to count as press-and-hold (speech mode), where the
        # first tap on a button only reads it out (seen in CI: "Talk to an official now"
        # was read out, not pressed). Starting and choosing are tested elsewhere.
        ui.app.start_session()
        ui.app.set_language("en")
        # The home screen says so once an official is available (asked again at once
        # here: the UI asks at most every 2 minutes, and it asked before the desk opened).
        ui.app.go("home")
        ui.app.refresh_video_now(force=True)
        assert ui.wait_until(lambda: "Video service available now" in ui.texts(), 15), ui.texts()
        ui.screenshot("home-video-available")
        ui.app.go("service", service_id=world.service)
        service = ui.app.screen("service")
        assert ui.wait_until(lambda: service.video == "available", 10), service.video_text
        assert "An official can take a video call now" in service.video_text, service.video_text
        ui.screenshot("call-service")
        ui.tap("Talk to an official now")
        assert ui.wait_until(lambda: ui.screen == "call", 10), ui.screen
        call = ui.app.screen("call")
        assert ui.wait_until(lambda: call.can_call, 15), call.check_text
        assert "Camera: working." in call.check_text
        assert "Microphone: not available" in call.check_text  # none configured here
        ui.screenshot("call-check")
        ui.tap("Start the call")
        assert ui.wait_until(lambda: call.phase == "waiting" and "number 1" in call.queue_text), (
            call.queue_text,
            call.call and call.call.view,
        )
        ui.screenshot("call-waiting")

        desk.wait_for_selector("#queue li button", timeout=5000)
        desk.click("#queue li button")
        assert ui.wait_until(lambda: call.phase == "in_call", 10)
        # The official's video fills the screen: its QR code can be read off the screen.
        assert ui.wait_until(lambda: screen_shows(ui, "official-camera"), 20)
        ui.screenshot("call-in-call")

        # This kiosk has no microphone: the official is told so (issue 33), in Finnish.
        desk.wait_for_function(
            "() => document.getElementById('citizen-media').innerText"
            ".includes('mikrofoni ei toimi')",
            timeout=10000,
        )
        assert "kamera" not in desk.inner_text("#citizen-media")  # it is seen

        # The idle timeout is held during the call.
        ui.advance(120)
        assert ui.app.warning is None and ui.app.session.active

        # Chat both ways: the official's line is a caption over the video.
        desk.fill("#chat-text", "Näytän teille hakemuksen.")
        desk.click("#chat-form button")
        assert ui.wait_until(lambda: call.video.caption == "Näytän teille hakemuksen.", 10)
        ui.tap("Messages")
        ui.type("kiitos")
        # The official stays in sight beside the conversation (issue 33).
        assert ui.wait_until(lambda: screen_shows(ui, "official-camera"), 10)
        ui.screenshot("call-chat")
        ui.tap("Send")
        desk.wait_for_function(
            "() => document.getElementById('chat').innerText.includes('kiitos')", timeout=5000
        )
        ui.tap("Back to the video")

        # An interpreter joins: small, beside the official's video, named; then leaves.
        desk.fill("#interpreter-language", "ar")
        desk.click("#interpreter-form button")
        second = launch_desk_browser(browser.browser_type, world, "interpreter-camera")
        try:
            interpreting = open_desk(second, world, email=world.interpreter_email)
            interpreting.wait_for_selector("#queue li button", timeout=10000)
            interpreting.click("#queue li button")
            assert ui.wait_until(lambda: call.video.other_names[0] == "Interpreter", 30)
            assert ui.wait_until(lambda: screen_shows(ui, "interpreter-camera"), 20)
            assert screen_shows(ui, "official-camera")
            # The connection's quality, in words, where the others' videos leave room.
            assert call.video.link_text == "Connection: good" and call.video.link_level == "good"
            ui.screenshot("call-interpreter")
            interpreting.click("#leave")
            assert ui.wait_until(lambda: call.video.other_names[0] == "", 15)
        finally:
            second.close()

        # The official shows a two-page PDF: the kiosk shows it page by page.
        pdf = tmp_path / "Hakemus.pdf"
        pdf.write_bytes(sample_pdf())
        desk.set_input_files("#document-file", str(pdf))
        desk.click("#document-form button")
        assert ui.wait_until(lambda: call.pages.page_text == "Page 1 of 2", 15), (
            call.pages.page_text
        )
        ui.screenshot("call-document-page-1")
        ui.tap("Next page")
        assert call.pages.page_text == "Page 2 of 2"
        # No A4 printer at this kiosk: Print is not offered (issue 33).
        assert "Print" not in [b.text for b in ui.buttons()]
        ui.screenshot("call-document-page-2")
        ui.tap("Back to the video")
        # No microphone: no Mute either, and the check did not promise talking.
        texts = [b.text for b in ui.buttons()]
        assert "Mute" not in texts and "End call" in texts

        # The citizen scans a page during the call, sees it, scans it again and sends
        # it; the official gets only the page sent, and downloads it.
        ui.tap("Scan a document")
        assert ui.wait_until(lambda: call.phase == "scan_check", 30), call.note
        assert call.ids.scan_page.texture is not None
        ui.screenshot("call-scan-check")
        ui.tap("Scan again")
        assert ui.wait_until(lambda: call.phase == "scan_check", 30), call.note
        ui.pump(1.0)
        assert desk.locator("#documents a").count() == 0  # nothing left the kiosk yet
        ui.tap("Send to the official")
        assert ui.wait_until(lambda: "sent to the official" in call.note, 30), call.note
        link = desk.wait_for_selector("#documents a", timeout=10000)
        assert desk.locator("#documents a").count() == 1
        with desk.expect_download() as download:
            link.click()
        assert open(download.value.path(), "rb").read().startswith(b"\x89PNG")

        # The official asks for a payment from the desk's form; the citizen declines it on
        # the call screen, and the desk says so (paying is tests/calls/test_call_payment_ui).
        desk.fill("#payment-amount", "12,50")
        desk.select_option("#payment-vat", "0")
        desk.fill("#payment-reason", "Todistus")
        desk.click("#payment-form button")
        assert ui.wait_until(lambda: call.phase == "pay", 15), call.phase
        assert "Todistus: 12,50 €" in call.pay_text
        ui.tap("Do not pay")
        assert ui.wait_until(lambda: call.phase == "in_call", 15)
        for _ in range(100):  # the desk asks central every second
            if "kieltäytyi" in desk.inner_text("#payments"):
                break
            desk.wait_for_timeout(100)
        assert desk.inner_text("#payments") == "Todistus: 12,50 € · asiakas kieltäytyi"

        call_id = call.view.call_id
        desk.click("#end")
        assert ui.wait_until(lambda: call.phase == "ended", 10)
        assert "The call has ended" in call.ended_text
        ui.screenshot("call-ended")

        ui.tap("Finish")
        assert ui.screen == "feedback"
        ui.app.end_session("finished")
        # Nothing of the call stays: no lines, no pages, no frames, the call closed.
        texts = "\n".join(t for s in ui.app.loaded.values() for t in s.texts())
        assert "kiitos" not in texts and "hakemuksen" not in texts
        assert call.call is None and call.pages.pages == [] and call.pages.content == b""
        assert call.video.ids.remote.texture is None and call.pages.ids.page.texture is None
        assert call.ids.scan_page.texture is None and call._scan == []
        assert call.video.remote.take() is None
        events = [t for t, _s, _d in ui.outbox() if t.startswith("call_")]
        assert events == ["call_requested", "call_started", "call_ended"]
        ended = ui.outbox("call_ended")[0][2]
        assert ended["outcome"] == "completed" and ended["documents_shown"] == 1
        assert ended["documents_scanned"] == 1 and ended["duration_s"] >= 0
        # The interpreter who joined is counted by language; no one is named.
        assert ended["interpreter_languages"] == ["ar"] and ended["expert_organisations"] == []
        assert world.interpreter_email not in str(ended)
        state = requests.get(
            f"{world.central.base}/api/v1/kiosk/calls/{call_id}",
            headers={"Authorization": f"Bearer {world.org.device_token}"},
            timeout=10,
        ).json()
        assert state["status"] == "ended"
    ui.stop()
