"""Booking a video appointment in the real Kivy UI under Xvfb against a real central on
loopback: from a service's page, at this service point, a day and a time, an e-mail
address typed on the screen's keyboard; the receipt printed on the simulated ESC/POS
printer carries the code and a QR code, whose stored bytes shown to the (simulated)
camera check the citizen in. Then the code changes and cancels a booking made at home.
Screenshots in test-artifacts/ui/appointment-*.png."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.appointment_world import municipality_with_times
from devtools.builders import service_ids
from devtools.central_server import start_central
from devtools.central_world import Org, ok
from tests.support.own_process import in_fresh_process

pytestmark = pytest.mark.slow  # the UI in its own process, a central beside it

SERVICE = service_ids()[0]  # "Yleinen asumistuki", offered by video


@dataclass
class Facts:
    base: str
    org: Org
    folder: Path


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    folder = tmp_path_factory.mktemp("appointment-ui")
    running = start_central(f"sqlite:///{folder}/central.db")
    org, _calendar = municipality_with_times(running, SERVICE)
    yield running, org, folder
    running.stop()


def stored_qr(printed: bytes) -> str:
    """What the last QR code on the receipt holds: the data of ESC/POS's "store the
    symbol's data" (GS ( k pL pH cn=49 fn=80 m=48 d…), as the printer renders it."""
    stored = []
    at = printed.find(b"\x1d(k")
    while at != -1:
        length = printed[at + 3] + 256 * printed[at + 4]
        body = printed[at + 5 : at + 5 + length]
        if body[:3] == b"1P0":
            stored.append(body[3:].decode())
        at = printed.find(b"\x1d(k", at + 5 + length)
    assert stored, "no QR code on the receipt"
    return stored[-1]


def type_on_screen(ui, text: str) -> None:
    """Taps the screen keyboard's keys once it has stopped moving; checks what arrived."""
    screen = ui.app.loaded["appointment"]
    ui.settle()
    for key in text:
        ui.tap(ui.find(key))
    assert screen.typed == text, (screen.typed, text)


def choices(ui) -> list:
    """The appointment screen's choices (days, times, places), top to bottom."""
    return list(reversed(ui.app.loaded["appointment"].ids.options.children))


def _kiosk_books_and_checks_in(facts: Facts) -> None:
    from tests.support.kiosk_ui_call import kiosk_ui

    ui = kiosk_ui(facts.base, facts.org, facts.folder, camera="sim")
    ui.opened("printer")
    ui.app.start_session()
    ui.app.set_language("en")
    printer = ui.app.devices.simulations["printer"]
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Book a video appointment", 20))
    ui.tap(ui.find("Here at this service point", 20))
    ui.screenshot("appointment-days")
    ui.tap(choices(ui)[0])
    assert ui.wait_until(lambda: ui.app.loaded["appointment"].phase == "times", 20)
    ui.screenshot("appointment-times")
    first_time = choices(ui)[0].text
    ui.tap(choices(ui)[0])
    ui.tap(ui.find("E-mail"))
    type_on_screen(ui, "maija@example.fi")
    ui.screenshot("appointment-email")
    ui.tap(ui.find("OK"))
    screen = ui.app.loaded["appointment"]
    assert "Confirmation to: maija@example.fi" in screen.summary
    ui.screenshot("appointment-details")
    ui.tap(ui.find("Book"))
    assert ui.wait_until(lambda: screen.phase == "done", 20), screen.message
    assert ui.wait_until(lambda: "Take your receipt" in screen.message, 20), screen.message
    ui.screenshot("appointment-booked")
    code = screen.result.code
    assert first_time in screen.summary and screen.typed == code  # the code shown large
    receipt = bytes(printer.printed).decode("cp858", "replace")
    assert code in receipt and "General housing allowance" in receipt
    assert stored_qr(bytes(printer.printed)) == code.replace("-", "")
    [(_, _, booked)] = ui.outbox("appointment_booked")
    assert booked == {"service_id": SERVICE, "place": "service_point", "changed": False}
    assert "maija" not in str(ui.outbox())  # the address is not usage data

    # The QR code from the receipt, shown to the camera, checks the citizen in.
    ui.app.finish()
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("checkin")
    camera = ui.app.devices.simulations["camera"]
    camera.show_qr(stored_qr(bytes(printer.printed)))
    checkin = ui.app.loaded["checkin"]
    assert ui.wait_until(lambda: checkin.done, 20), checkin.message
    camera.show_qr(None)
    assert ui.outbox("booking_checked_in")[0][2]["method"] == "qr"
    ui.app.finish()
    assert code not in ui.texts() and "maija" not in ui.texts()
    ui.stop()


def _kiosk_changes_and_cancels_by_code(facts: Facts, code: str) -> None:
    from tests.support.kiosk_ui_call import kiosk_ui

    ui = kiosk_ui(facts.base, facts.org, facts.folder / "second", camera="sim")
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("checkin")
    ui.tap(ui.find("Change or cancel"))
    screen = ui.app.loaded["appointment"]
    type_on_screen(ui, code.replace("-", ""))
    ui.screenshot("appointment-code")
    ui.tap(ui.find("Find my booking"))
    assert ui.wait_until(lambda: screen.phase == "found", 20), screen.message
    assert "From home by video" in screen.summary
    ui.screenshot("appointment-found")
    ui.tap(ui.find("Change the time"))
    assert ui.wait_until(lambda: screen.phase == "days", 20), screen.message
    ui.tap(choices(ui)[1])  # the second day
    assert ui.wait_until(lambda: screen.phase == "times", 20)
    ui.tap(choices(ui)[2])
    ui.tap(ui.find("Change to this time"))
    assert ui.wait_until(lambda: screen.phase == "done", 20), screen.message
    new_code = screen.result.code
    assert new_code and new_code != code
    ui.app.finish()
    ui.app.start_session()
    ui.app.go("appointment", manage=True)
    type_on_screen(ui, new_code.replace("-", ""))
    ui.tap(ui.find("Find my booking"))
    assert ui.wait_until(lambda: screen.phase == "found", 20), screen.message
    ui.tap(ui.find("Cancel the booking"))
    ui.screenshot("appointment-cancel-sure")
    ui.tap(ui.find("Cancel the booking"))
    assert ui.wait_until(lambda: screen.phase == "cancelled", 20), screen.message
    ui.screenshot("appointment-cancelled")
    ui.stop()


def test_a_kiosk_books_prints_and_checks_in_by_the_receipts_qr(central, tmp_path):
    running, org, _folder = central
    in_fresh_process(_kiosk_books_and_checks_in, Facts(running.base, org, tmp_path))
    from sqlalchemy import select

    from central.db.engine import session_scope
    from central.db.models import Booking

    with session_scope(running.app.state.sessions) as db:
        booking = db.scalars(select(Booking).where(Booking.channel == "kiosk")).one()
        assert booking.contact_email == "maija@example.fi" and booking.site_id == org.site_id


def _card_put_in_while_booking_checks_in(facts: Facts) -> None:
    from devtools.vpcd_card import VirtualCard, connect_card
    from hardware.base import DeviceState
    from hardware.cardreader.pcsc import GET_UID
    from tests.support.kiosk_ui_call import kiosk_ui

    uid = "04A1B2C3D4E5"
    ui = kiosk_ui(facts.base, facts.org, facts.folder, card_reader="pcsc:Virtual PCD")
    reader = ui.opened("card_reader")
    assert ui.wait_until(lambda: reader.state == DeviceState.ONLINE, 45)
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Book a video appointment", 20))
    ui.tap(ui.find("Here at this service point", 20))
    screen = ui.app.loaded["appointment"]
    ui.tap(choices(ui)[1])  # the second day: whole, at any hour the test runs
    assert ui.wait_until(lambda: screen.phase == "times", 20)
    ui.tap(choices(ui)[1])
    assert "put it in the reader now" in screen.summary
    card = VirtualCard({GET_UID: bytes.fromhex(uid) + b"\x90\x00"})
    connect_card(card)
    assert ui.wait_until(lambda: "Your card checks you in" in screen.summary, 20), screen.message
    ui.screenshot("appointment-card")
    card.remove()
    assert ui.wait_until(lambda: reader.status["card"] == "absent", 20)
    ui.tap(ui.find("Book"))
    assert ui.wait_until(lambda: screen.phase == "done", 20), screen.message
    assert uid not in str(ui.outbox())
    ui.app.end_session("done")
    assert ui.wait_until(lambda: screen.card_id == "", 10)  # forgotten with the session

    # On the day: the same card checks the citizen in, from the kiosk's own store. It is
    # in the reader before the check-in screen is up (a CI run put it in while the screen
    # slid in, and nothing happened): it counts all the same.
    ui.app.start_session()
    ui.app.set_language("en")
    connect_card(VirtualCard({GET_UID: bytes.fromhex(uid) + b"\x90\x00"}))
    assert ui.wait_until(lambda: reader.status["card"] == "present", 20)
    ui.app.go("checkin")
    checkin = ui.app.loaded["checkin"]
    assert ui.wait_until(lambda: checkin.done, 20), checkin.message
    assert ui.outbox("booking_checked_in")[-1][2]["method"] == "card"
    ui.stop()


@pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is installed by ./run test")
def test_a_card_put_in_while_booking_checks_the_citizen_in(central, pcscd, tmp_path):
    """A real pcscd with vsmartcard's virtual reader and a card written in Python."""
    pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")
    running, org, _folder = central
    in_fresh_process(_card_put_in_while_booking_checks_in, Facts(running.base, org, tmp_path))


def test_a_booking_from_home_is_changed_and_cancelled_by_its_code(central, tmp_path):
    running, org, _folder = central
    first = ok(
        running.request(
            "GET",
            "/kiosk/appointments/free",
            org.device_token,
            params={"service_id": SERVICE, "language": "en", "place": "home"},
        )
    )["times"][0]
    made = ok(
        running.request(
            "POST",
            "/kiosk/appointments",
            org.device_token,
            json={
                "service_id": SERVICE,
                "language": "en",
                "place": "home",
                "starts_at": first["starts_at"],
            },
        ),
        201,
    )
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", made["code"])
    in_fresh_process(
        _kiosk_changes_and_cancels_by_code, Facts(running.base, org, tmp_path), made["code"]
    )
