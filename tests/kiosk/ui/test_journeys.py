"""Whole journeys through the real UI under Xvfb, touch by touch, with screenshots.

Screenshots land in test-artifacts/ui/ for a person to look at.
"""

from __future__ import annotations

import pytest

from devtools.kiosk_state import CITIZEN_NAME, CITIZEN_SHOWN
from devtools.ui_driver import UiDriver
from tests.support.own_process import in_own_process

pytestmark = pytest.mark.slow


def start_in_finnish(ui: UiDriver) -> None:
    assert ui.screen == "attract"
    ui.tap_at(640, 400)
    assert ui.screen == "language"
    ui.tap("Suomi")
    assert ui.screen == "home"


@in_own_process
def test_check_in_by_typed_code_then_feedback_ends_session(tmp_path):
    ui = UiDriver(tmp_path)
    ui.screenshot("attract")
    start_in_finnish(ui)
    ui.screenshot("home-fi")
    ui.tap("Ilmoittaudu varaukseen")
    assert ui.screen == "checkin"
    booking = ui.bookings[0]
    ui.type("ZZZZ2222")
    ui.tap("Ilmoittaudu")
    assert "Tällä tunnuksella ei löytynyt varausta" in ui.texts()
    for _ in range(8):
        ui.tap("Poista")
    ui.type(booking.code)
    ui.screenshot("checkin-code-typed")
    ui.tap("Ilmoittaudu")
    assert f"Tervetuloa, {CITIZEN_SHOWN}!" in ui.texts()
    assert CITIZEN_NAME not in ui.texts()  # never the full name
    ui.screenshot("checkin-done")
    status = ui.store.db.execute(
        "SELECT status FROM bookings WHERE id = ?", [booking.id]
    ).fetchone()
    assert status == ("checked_in",)
    assert ui.store.db.execute("SELECT booking_id FROM checkins").fetchall() == [(booking.id,)]
    [(_, session_id, data)] = ui.outbox("booking_checked_in")
    assert data == {"method": "code", "service_id": booking.service_id}
    assert session_id == ui.app.session.id

    ui.tap("Valmis")
    assert ui.screen == "feedback"
    ui.tap("5")
    assert ui.wait_until(lambda: ui.screen == "attract", 10)
    assert ui.outbox("satisfaction")[0][2] == {"score": 5}
    ended = ui.outbox("session_ended")[0][2]
    assert ended["reason"] == "finished"
    everything = "\n".join(text for screen in ui.app.loaded.values() for text in screen.texts())
    assert CITIZEN_SHOWN not in everything and booking.code not in everything
    assert all(CITIZEN_NAME not in str(e) for e in ui.outbox())
    ui.stop()


@in_own_process
def test_check_in_by_qr_code_from_a_video_file(tmp_path):
    from tests.support.video import noisy, with_qr, write_video

    # The camera plays a file: a second of an empty scene, then the booking's QR code.
    # The file is written after the state (and so the code) exists, before the camera opens.
    video = tmp_path / "camera.avi"
    ui = UiDriver(tmp_path, devices={"camera": f"file:{video}", "printer": "sim"})
    code = ui.bookings[1].code
    write_video(video, [noisy(n) for n in range(10)] + [with_qr(code, n) for n in range(80)])
    start_in_finnish(ui)
    ui.tap("EN")
    ui.tap("Check in for a booking")
    assert ui.wait_until(lambda: "You are checked in" in ui.texts(), 20), ui.texts()
    ui.screenshot("checkin-by-qr")
    assert "Erik E." in ui.texts() and "Exempel" not in ui.texts()
    [(_, _, data)] = ui.outbox("booking_checked_in")
    assert data["method"] == "qr"
    assert ui.app.device("camera").latest_frame is None  # the camera stopped with the check-in
    ui.stop()


@in_own_process
def test_ticket_is_printed_and_a_printer_fault_still_gives_a_number(tmp_path):
    ui = UiDriver(tmp_path)
    start_in_finnish(ui)
    printer = ui.app.devices.simulations["printer"]
    ui.tap("Ota vuoronumero")
    assert ui.wait_until(lambda: "A001" in ui.texts())
    ui.screenshot("ticket-printed")
    assert ui.wait_until(lambda: b"A001" in printer.printed)
    assert b"Odota, kunnes numerosi" in printer.printed.replace(b"\n", b" ")
    assert ui.outbox("ticket_printed")[0][2]["number"] == "A001"

    # A service's details, printed: browse by organisation, open one, "print this".
    ui.tap("Alkuun")
    ui.tap("Etsi palvelu")
    ui.tap(next(b for b in ui.buttons() if b.text.startswith("Poliisi")))
    ui.tap("Passin hakeminen")
    assert ui.screen == "service"
    ui.tap("Tulosta tämä")
    assert ui.wait_until(lambda: "Ota tuloste tulostimesta." in ui.texts())
    assert "AUKIOLOAJAT" in printer.printed.decode("cp858", "replace")
    assert ui.outbox("document_printed")[0][2]["what"] == "service_info"

    printer.mode = "out"
    ui.tap("Alkuun")
    ui.tap("Ota vuoronumero")
    assert ui.wait_until(lambda: ui.screen == "fault")
    assert "Tulostimesta on paperi loppu" in ui.texts()
    assert "A002" in ui.texts()  # the queue place is kept: shown instead of printed
    ui.screenshot("fault-printer-out-of-paper")
    assert b"A002" not in printer.printed
    ui.tap("Etsi palvelu")  # what still works is offered
    assert ui.screen == "catalogue"

    # Not a device error at all (a driver bug): the screen still leaves "printing".
    # The fault is injected by replacing the driver's method: no real printer raises
    # a bare RuntimeError on cue.
    printer.mode = "ok"

    def driver_bug(*_args, **_kwargs):
        raise RuntimeError("driver bug")

    ui.opened("printer").print_receipt = driver_bug
    ui.tap("Alkuun")
    ui.tap("Ota vuoronumero")
    assert ui.wait_until(lambda: ui.screen == "fault")
    assert "A003" in ui.texts()
    ui.stop()


@in_own_process
def test_idle_timeout_warns_extends_ten_times_then_wipes_everything(tmp_path):
    ui = UiDriver(tmp_path)
    start_in_finnish(ui)
    # Leave traces: a search, a service viewed, a scanned page, a booking found.
    ui.tap("Etsi palvelu")
    ui.type("asumis")
    ui.screenshot("catalogue-search")
    ui.tap("Yleinen asumistuki")
    assert ui.screen == "service"
    ui.screenshot("service-detail")
    ui.tap("Alkuun")
    ui.tap("Skannaa asiakirjoja")
    ui.tap("Skannaa sivu")
    assert ui.wait_until(lambda: ui.app.loaded["scan"].pages == 1, 60)
    ui.screenshot("scan-preview")
    scratch = ui.app.session.scratch
    assert list(scratch.rglob("*.png"))
    ui.tap("Alkuun")
    ui.tap("Ilmoittaudu varaukseen")
    ui.type(ui.bookings[0].code)
    ui.tap("Ilmoittaudu")
    assert CITIZEN_SHOWN in ui.texts()

    for extension in range(10):
        ui.advance(61)
        assert ui.app.warning is not None, f"no warning before extension {extension + 1}"
        if extension == 0:
            ui.screenshot("idle-warning")
        ui.tap("Lisää aikaa")
        assert ui.app.warning is None
        assert ui.screen == "checkin"
    ui.advance(61)
    assert "Lisää aikaa" not in [b.text for b in ui.buttons()]  # ten extensions were the limit
    ui.advance(21)
    assert ui.screen == "attract"

    assert not scratch.exists()
    assert not list(ui.app.settings.scratch_root.iterdir())
    everything = "\n".join(t for screen in ui.app.loaded.values() for t in screen.texts())
    assert CITIZEN_SHOWN not in everything
    assert "asumis" not in everything and "Yleinen asumistuki" not in everything
    from kivy.cache import Cache

    assert not any(Cache._objects.get(c) for c in ("kv.image", "kv.texture"))
    assert not ui.app.speaker.spoken
    assert ui.app.language == "fi" and not ui.app.large_text
    ended = ui.outbox("session_ended")[0][2]
    assert ended["reason"] == "idle"
    [(_, _, search)] = ui.outbox("search")
    assert search["query"] == "asumis" and search["results"] >= 1
    ui.stop()


@in_own_process
def test_language_switches_live_and_large_text_and_contrast_rescale(tmp_path):
    ui = UiDriver(tmp_path)
    start_in_finnish(ui)
    assert ui.find("Etsi palvelu")
    ui.tap("SV")
    assert ui.find("Sök en tjänst")  # same screen, no restart
    assert "Vad vill du göra?" in ui.texts()
    ui.screenshot("home-sv")
    button = ui.find("Sök en tjänst")
    normal = button.font_size
    heading = [
        w
        for w in ui.app.manager.current_screen.walk()
        if getattr(w, "text", "") == "Vad vill du göra?"
    ][0]
    heading_normal = heading.font_size
    ui.tap("A+")
    ui.pump(0.3)
    # What is already on screen grows too: buttons and body text alike.
    assert ui.find("Sök en tjänst").font_size == normal * 1.5
    assert heading.font_size == heading_normal * 1.5
    ui.screenshot("home-sv-large-text")
    # Large text: the top bar's words no longer fit eight across, so the accessibility
    # choices fold into one button that opens a chooser.
    ui.tap("Tillgänglighet")
    ui.tap("Hög kontrast")
    assert ui.app.colors["background"][:3] == (0.0, 0.0, 0.0)
    ui.tap("Stäng")
    ui.pump(0.2)
    # The screen's background is the window's clear colour: black on the screen itself.
    from kivy.core.window import Window

    assert tuple(Window.clearcolor)[:3] == (0.0, 0.0, 0.0)
    shot = ui.screenshot("home-sv-high-contrast")
    from kivy.core.image import Image as CoreImage

    edge = CoreImage.load(str(shot), keep_data=True)
    assert edge.read_pixel(2, edge.height // 2)[:3] == [0.0, 0.0, 0.0]
    used = [d["feature"] for _, _, d in ui.outbox("accessibility_used")]
    assert used == ["large_text", "high_contrast"]
    assert ui.outbox("language_changed")[0][2] == {"language": "sv"}
    ui.stop()


@in_own_process
def test_the_language_screen_asks_in_every_language_and_ticks_the_current_one(tmp_path):
    ui = UiDriver(tmp_path)
    ui.tap_at(640, 400)
    assert ui.screen == "language"
    heading = "Valitse kieli / Välj språk / Choose your language"
    assert heading in ui.texts()
    names = sorted(
        b.text for b in ui.buttons() if b.text.split(" ")[0] in {"Suomi", "Svenska", "English"}
    )
    assert names == ["English", "Suomi ✓", "Svenska"]
    ui.screenshot("language")
    ui.tap("Svenska")
    assert ui.screen == "home" and ui.find("Sök en tjänst")
    ui.stop()


@in_own_process
def test_search_names_each_services_organisation_and_large_keys_fold_away(tmp_path):
    from kiosk.ui.widgets import OnScreenKeyboard

    ui = UiDriver(tmp_path)
    ui.resize(1280, 800)  # a 10" kiosk: the keys sit under the list, not beside it
    start_in_finnish(ui)
    ui.tap("Etsi palvelu")
    ui.type("asumis")
    result = ui.find("Yleinen asumistuki")
    assert result.text.split("\n")[1] == "Kansaneläkelaitos Kela"
    ui.tap("Alkuun")
    ui.tap("A+")  # large text: keys under the list would leave two rows of it
    ui.tap("Etsi palvelu")
    screen = ui.app.manager.current_screen
    keyboard = next(w for w in screen.walk() if isinstance(w, OnScreenKeyboard))
    assert not screen.keyboard_open
    assert keyboard.parent.height == 0 and keyboard.parent.disabled
    ui.screenshot("catalogue-large-text")
    ui.tap_at(*screen.ids.search_field.to_window(*screen.ids.search_field.center))
    assert screen.keyboard_open and keyboard.parent.height > 0
    ui.type("asumis")
    assert ui.find("Yleinen asumistuki")
    toggle = next(b for b in ui.buttons() if b.speak_as == "Piilota näppäimet")
    ui.tap(toggle)
    assert not screen.keyboard_open
    ui.stop()


@in_own_process
def test_speech_mode_starts_without_sight_and_reads_every_element(tmp_path):
    import wave

    ui = UiDriver(tmp_path)
    ui.tap_at(640, 400, hold_s=3.3)  # press and hold anywhere
    assert ui.screen == "language" and ui.app.speech_mode
    ui.app.speaker.wait()
    spoken = ui.app.speaker.spoken[-1][1]
    for text in ("Valitse kieli", "Suomi", "Svenska", "English"):
        assert text in spoken
    ui.tap("English")  # first touch reads the button…
    assert ui.screen == "language" and ui.app.speaker.spoken[-1][1] == "English"
    ui.tap("English")  # …the second activates it
    assert ui.screen == "home"
    ui.pump(0.3)
    ui.app.speaker.wait()
    language, spoken = ui.app.speaker.spoken[-1]
    assert language == "en"
    for text in ("What would you like to do?", "Find a service", "Check in for a booking"):
        assert text in spoken
    wavs = sorted(ui.speech_dir.glob("*-en.wav"))
    with wave.open(str(wavs[-1])) as audio:
        assert audio.getnframes() / audio.getframerate() > 2.0  # real speech, seconds long
    assert sorted(ui.speech_dir.glob("*-fi.wav"))
    ui.stop()


@in_own_process
def test_every_touch_target_is_at_least_9_mm(tmp_path):
    from kivy.metrics import mm

    ui = UiDriver(tmp_path)
    ui.app.start_session()
    smallest = {}
    for name in ui.every_screen():
        for button in ui.buttons():
            smallest[f"{name}: {button.text}"] = min(button.width, button.height)
    too_small = {k: v for k, v in smallest.items() if v < mm(9)}
    assert len(smallest) > 60
    assert not too_small, f"under 9 mm ({mm(9):.0f} px): {too_small}"
    ui.stop()


@in_own_process
def test_remote_commands_maintenance_screenshot_and_test_page(tmp_path):
    from kiosk.command_queue import artifact_path

    ui = UiDriver(tmp_path)
    with ui.store.transaction() as db:
        for n, type_ in enumerate(["maintenance_on", "screenshot", "print_test_page"]):
            args = '{"message": "Takaisin klo 14 / Tillbaka kl. 14"}' if n == 0 else "{}"
            db.execute(
                "INSERT INTO commands (id, type, args, received_at) VALUES (?, ?, ?, ?)",
                [f"c{n}", type_, args, f"2026-11-22T10:00:0{n}+00:00"],
            )
    assert ui.wait_until(lambda: ui.screen == "maintenance", 10)
    # The admin's message from the console stands under the out-of-order text.
    assert "Takaisin klo 14 / Tillbaka kl. 14" in ui.texts()
    ui.screenshot("maintenance")
    assert ui.wait_until(
        lambda: (
            ui.store.db.execute(
                "SELECT count(*) FROM commands WHERE status = 'succeeded'"
            ).fetchone()[0]
            == 3
        )
    )
    png = artifact_path(ui.store, "c1")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"Test page" in ui.app.devices.simulations["printer"].printed
    ui.tap_at(640, 400)
    assert ui.screen == "maintenance"  # no session while out of order
    with ui.store.transaction() as db:
        db.execute(
            "INSERT INTO commands (id, type, received_at) VALUES ('c9', 'maintenance_off', 'z')"
        )
    assert ui.wait_until(lambda: ui.screen == "attract", 10)
    assert ui.app.maintenance_message == ""  # gone with maintenance
    # The same from config, as the agent syncs it.
    from kiosk import config

    config.save(ui.store, config.load(ui.store) | {"version": 2, "maintenance": True}, "y")
    assert ui.wait_until(lambda: ui.screen == "maintenance", 10)
    ui.stop()


@in_own_process
def test_technician_entry_with_pin_lockout_and_self_tests(tmp_path):
    from devtools.kiosk_state import TECHNICIAN_PIN

    ui = UiDriver(tmp_path)
    for _ in range(5):
        ui.tap_at(10, 790)  # top-left corner (window y grows upwards)
    assert ui.screen == "technician_pin"
    # One language on the whole screen, a prompt, and which kiosk this is (issue 33).
    texts = ui.texts()
    assert "Type the technician PIN" in texts and "Erase" in texts and "Poista" not in texts
    assert "Software " in texts and "Network " in texts and "Kiosk " in texts
    ui.screenshot("technician-pin")
    for _attempt in range(3):
        ui.type("0000")
        ui.tap("Enter")
    assert "Too many wrong PINs" in ui.texts()
    ui.type(TECHNICIAN_PIN)
    ui.tap("Enter")
    assert ui.screen == "technician_pin"  # even the right PIN waits out the lock
    ui.store.set_state("ui.technician_pin", {})  # the lock has passed
    ui.type(TECHNICIAN_PIN)
    ui.tap("Enter")
    assert ui.screen == "technician"
    ui.tap("Run self-tests")
    assert ui.wait_until(lambda: not ui.app.loaded["technician"].running, 60)
    results = ui.app.loaded["technician"].results
    assert "printer/receipt: PASS" in results
    assert "scanner/a4: PASS" in results
    # Device states by the same words as the console's (contract/device_states.py).
    assert "Printer (receipt): ok" in ui.app.loaded["technician"].status
    ui.screenshot("technician")
    assert not ui.app.session.active  # a technician is not a citizen's session
    ui.tap("Exit")
    assert ui.screen == "attract"
    ui.stop()


@in_own_process
def test_escape_and_window_close_do_nothing(tmp_path):
    from kivy.core.window import Window

    ui = UiDriver(tmp_path)
    start_in_finnish(ui)
    assert Window.dispatch("on_request_close") is True  # vetoed
    Window.dispatch("on_keyboard", 27, 9, None, [])  # Escape
    Window.dispatch("on_keyboard", 283, 0, None, ["alt"])  # Alt+F4
    ui.pump(0.3)
    assert ui.screen == "home" and ui.app.session.active
    ui.stop()


@in_own_process
def test_missing_camera_and_scanner_get_friendly_screens(tmp_path):
    ui = UiDriver(tmp_path, devices={"camera": f"file:{tmp_path}/none.avi", "printer": "sim"})
    start_in_finnish(ui)
    ui.tap("EN")
    ui.tap("Check in for a booking")
    assert "The camera is not available. Type your booking code." in ui.texts()
    ui.screenshot("checkin-camera-unavailable")
    ui.type(ui.bookings[0].code)
    ui.tap("Check in")
    assert "You are checked in" in ui.texts()
    ui.tap("Home")
    ui.tap("Scan documents")
    assert ui.screen == "fault"
    assert "The scanner is not working right now" in ui.texts()
    ui.screenshot("fault-no-scanner")
    # The pre-call check without a camera: no empty white self-view box (issue 33).
    ui.app.go("call", service_id=ui.bookings[0].service_id)
    call = ui.app.screen("call")
    assert ui.wait_until(lambda: "Camera: not available" in call.check_text, 15)
    tile = call.ids.self_view
    assert tile.texture is None and tile.color[3] == 0
    ui.screenshot("call-check-no-camera")
    ui.stop()


@in_own_process
def test_scanner_jam_from_the_simulated_scanner_gets_its_own_screen(tmp_path):
    ui = UiDriver(tmp_path, devices={"scanner": "sim:jam", "printer": "sim"})
    start_in_finnish(ui)
    ui.tap("Skannaa asiakirjoja")
    ui.tap("Skannaa sivu")
    assert ui.wait_until(lambda: ui.screen == "fault", 30)
    assert "Skanneriin on juuttunut paperia" in ui.texts()
    ui.screenshot("fault-scanner-jam")
    assert ui.opened("scanner").state.value == "needs_attention"
    assert not list(ui.app.session.scratch.rglob("*.png"))  # no partial page left behind
    ui.tap("Etsi palvelu")
    assert ui.screen == "catalogue"
    ui.stop()


@in_own_process
def test_the_trimmed_kivy_style_has_a_rule_for_every_kivy_widget_in_use(tmp_path):
    """Start-up loads only KIVY_RULES of Kivy's style.kv; a widget whose rule was left
    out would draw as nothing. Every screen and the idle warning are shown, then every
    class in every widget's ancestry that Kivy has a rule for must be among those kept."""
    ui = UiDriver(tmp_path)  # before Kivy is imported: it reads KIVY_DATA_DIR once
    import kivy
    from kivy.core.window import Window

    from kiosk.ui import kivy_data

    assert kivy.kivy_data_dir == str(ui.state_dir / "kivy" / "data")  # the trimmed copy
    ui.app.start_session()
    in_use: set[str] = set()

    def collect(widget) -> None:
        in_use.update(cls.__name__ for cls in type(widget).__mro__)
        for child in widget.children:
            collect(child)

    for _name in ui.every_screen():
        for root in Window.children:
            collect(root)
    ui.app.go("home")
    ui.advance(61)
    assert ui.app.warning is not None
    for root in Window.children:
        collect(root)
    full = (kivy_data.kivy_package_dir() / "data" / "style.kv").read_text(encoding="utf-8")
    needed = in_use & kivy_data.ruled_classes(full)
    assert {"Label", "ModalView", "ScrollView"} <= needed  # the walk saw the widgets
    assert needed <= kivy_data.KIVY_RULES, f"add to KIVY_RULES: {needed - kivy_data.KIVY_RULES}"
    ui.stop()


@in_own_process
def test_the_home_screen_follows_a_config_synced_while_it_runs(tmp_path):
    from kiosk import config

    ui = UiDriver(tmp_path)
    start_in_finnish(ui)
    labels = lambda: [b.text for b in ui.buttons()]  # noqa: E731
    assert "Ota vuoronumero" in labels() and "Skannaa asiakirjoja" in labels()
    # The agent stores a new config with ticket printing and scanning off.
    config.save(ui.store, config.load(ui.store) | {"version": 2, "ticket_printing": False}, "a")
    assert ui.wait_until(lambda: "Ota vuoronumero" not in labels(), 15), labels()
    assert "Skannaa asiakirjoja" in labels()
    config.save(ui.store, config.load(ui.store) | {"version": 3, "ticket_printing": True}, "b")
    assert ui.wait_until(lambda: "Ota vuoronumero" in labels(), 15), labels()
    ui.stop()


@in_own_process
def test_times_are_the_sites_and_a_second_check_in_says_so(tmp_path):
    """The box runs in UTC (an image whose zone nobody set); the site is in Helsinki: the
    booking's time is Helsinki's (issue 33: "checked in for 12:00" for a 14:00 booking).
    The same code again says "already checked in", not "Welcome" (issue 33)."""
    import os
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    os.environ["TZ"] = "UTC"
    time.tzset()
    ui = UiDriver(tmp_path, config={"site_timezone": "Europe/Helsinki"})
    start_in_finnish(ui)
    ui.tap("Ilmoittaudu varaukseen")
    booking = ui.bookings[0]
    [(starts_at,)] = ui.store.db.execute(
        "SELECT starts_at FROM bookings WHERE id = ?", [booking.id]
    ).fetchall()
    starts = datetime.fromisoformat(starts_at)
    helsinki = starts.astimezone(ZoneInfo("Europe/Helsinki")).strftime("%H:%M")
    utc = starts.astimezone(ZoneInfo("UTC")).strftime("%H:%M")
    assert helsinki != utc
    ui.type(booking.code)
    ui.tap("Ilmoittaudu")
    assert f"klo {helsinki}" in ui.texts() and f"klo {utc}" not in ui.texts()
    ui.tap("Valmis")
    ui.tap("5")
    assert ui.wait_until(lambda: ui.screen == "attract", 10)
    ui.app.start_session()  # the next citizen, or the same one again
    ui.app.set_language("fi")
    ui.app.go("checkin")
    ui.type(booking.code)
    ui.tap("Ilmoittaudu")
    assert "olet jo ilmoittautunut" in ui.texts() and "Tervetuloa" not in ui.texts()
    assert len(ui.outbox("booking_checked_in")) == 1  # counted once
    ui.screenshot("checkin-again")
    ui.stop()


@in_own_process
def test_no_queue_ticket_while_the_site_is_closed(tmp_path):
    """Issue 33: a ticket was printed while the site was closed, with no word of it."""
    from contract.kiosk_config import KioskConfig
    from kiosk.site_time import today_at_site

    today = today_at_site(KioskConfig()).isoformat()
    ui = UiDriver(
        tmp_path,
        config={
            "opening_hours": {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "opening_exceptions": [{"date": today, "closed": True}],
        },
    )
    start_in_finnish(ui)
    printer = ui.app.devices.simulations["printer"]
    ui.tap("Ota vuoronumero")
    assert ui.wait_until(lambda: "Palvelupiste on nyt suljettu" in ui.texts())
    assert "Suljettu tänään" in ui.texts()
    ui.pump(0.5)
    assert printer.printed == b"" or b"A001" not in printer.printed
    assert ui.outbox("ticket_printed") == []
    ui.screenshot("ticket-closed")
    ui.stop()


@in_own_process
def test_the_chat_keyboard_writes_capitals_and_punctuation(tmp_path):
    """Issue 33: the chat keyboard had no capitals or punctuation. The call screen's own
    chat, shown without a call."""
    ui = UiDriver(tmp_path)
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("call", service_id=ui.bookings[0].service_id)
    call = ui.app.screen("call")
    call.phase = "chat"
    ui.pump(0.5)
    chat = call.chat
    keys = {getattr(k, "key_value", None): k for k in chat.walk()}
    for value in ["shift", "h", "e", "i", "space", "shift", "m", "a", "t", "t", "i", "!", "?"]:
        ui.tap(keys[value])
    assert chat.typed == "Hei Matti!?"
    ui.tap(keys["shift"])
    assert keys["q"].text == "Q"  # the letters show what they will write
    ui.screenshot("chat-keyboard")
    ui.tap(keys["shift"])
    assert keys["q"].text == "q"
    ui.stop()
