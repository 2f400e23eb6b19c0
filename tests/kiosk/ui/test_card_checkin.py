"""Check-in by card in the real UI: a real pcscd with vsmartcard's virtual reader and a
card written in Python that answers GET DATA with its UID."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")

from devtools.kiosk_state import CITIZEN_CARD, CITIZEN_SHOWN  # noqa: E402
from devtools.ui_driver import UiDriver  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is installed by ./run test"),
]


def check_in_with_cards(tmp_path):
    from devtools.vpcd_card import VirtualCard, connect_card
    from hardware.base import DeviceState
    from hardware.cardreader.pcsc import GET_UID

    ui = UiDriver(tmp_path, devices={"card_reader": "pcsc:Virtual PCD", "printer": "sim"})
    reader = ui.opened("card_reader")
    assert ui.wait_until(lambda: reader.state == DeviceState.ONLINE, 45)
    ui.tap_at(640, 400)
    ui.tap("Suomi")
    ui.tap("Ilmoittaudu varaukseen")
    assert ui.wait_until(lambda: "kortin, jolla teit varauksen" in ui.texts(), 10), ui.texts()

    stranger = VirtualCard({GET_UID: bytes.fromhex("0411223344") + b"\x90\x00"})
    connect_card(stranger)
    assert ui.wait_until(lambda: reader.status["card"] == "present", 20)
    assert ui.wait_until(lambda: "Tällä kortilla ei löytynyt varausta" in ui.texts(), 20)
    stranger.remove()
    assert ui.wait_until(lambda: reader.status["card"] == "absent", 20)

    card = VirtualCard({GET_UID: bytes.fromhex(CITIZEN_CARD) + b"\x90\x00"})
    connect_card(card)
    assert ui.wait_until(lambda: f"Tervetuloa, {CITIZEN_SHOWN}!" in ui.texts(), 20), ui.texts()
    ui.screenshot("checkin-by-card")
    [(_, _, data)] = ui.outbox("booking_checked_in")
    assert data["method"] == "card"
    assert all(CITIZEN_CARD not in str(event) for event in ui.outbox())
    card.remove()
    ui.stop()


def test_check_in_by_card(pcscd, tmp_path):
    # A fresh interpreter, not a fork: a worker that used PC/SC before (the card reader
    # tests) would hand a forked child libpcsclite's state, and then no card events come.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from tests.kiosk.ui.test_card_checkin import check_in_with_cards;"
            " check_in_with_cards(pathlib.Path(sys.argv[1]))",
            str(tmp_path),
        ],
        env=os.environ | {"KIVY_NO_ARGS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
