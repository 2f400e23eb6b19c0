"""The PC/SC card reader against a real pcscd with vsmartcard's virtual reader and a
card written in Python (tests/hardware/vpcd_card.py)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")

from hardware.base import DeviceState  # noqa: E402
from hardware.cardreader.pcsc import CardReader  # noqa: E402
from tests.hardware.vpcd_card import VirtualCard  # noqa: E402
from tests.waiting import wait_for

pytestmark = pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is not installed")
SELECT = bytes.fromhex("00A4040007A0000002471001")


def start_pcscd():
    subprocess.run(["pkill", "-x", "pcscd"], check=False)
    time.sleep(0.3)
    proc = subprocess.Popen(["pcscd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc


def stop_pcscd(proc):
    proc.terminate()
    proc.wait(10)


def connect_card(card):
    for _ in range(50):
        try:
            card.insert()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("vpcd did not accept the virtual card")


class Pcscd:
    """A real pcscd for the test; `restart()` is the fault under test."""

    def __init__(self):
        self.proc = start_pcscd()

    def stop(self):
        stop_pcscd(self.proc)

    def start(self):
        self.proc = start_pcscd()


@pytest.fixture
def pcscd():
    daemon = Pcscd()
    yield daemon
    daemon.stop()


def test_insert_transmit_remove_and_survive_a_pcscd_restart(pcscd):
    reader = CardReader(reader_filter="Virtual PCD")
    events = []
    reader.when_card_inserted = lambda atr: events.append(("in", atr))
    reader.when_card_removed = lambda: events.append(("out",))
    reader.start()
    try:
        assert wait_for(lambda: reader.state == DeviceState.ONLINE)
        card = VirtualCard({SELECT: b"\x90\x00"})
        connect_card(card)
        assert wait_for(lambda: reader.status["card"] == "present")
        assert events[0][0] == "in" and events[0][1].startswith(b"\x3b")
        assert reader.transmit([SELECT, b"\x00\xca\x00\x00\x00"]) == [b"\x90\x00", b"\x6d\x00"]
        assert card.seen[0] == SELECT
        card.remove()
        assert wait_for(lambda: reader.status["card"] == "absent")
        assert events[-1] == ("out",)

        # pcscd restarts: the reader goes offline, then comes back and still sees cards.
        pcscd.stop()
        assert wait_for(lambda: reader.state == DeviceState.OFFLINE)
        pcscd.start()
        assert wait_for(lambda: reader.state == DeviceState.ONLINE, 30)
        card2 = VirtualCard({SELECT: b"\x90\x00"})
        connect_card(card2)
        assert wait_for(lambda: reader.status["card"] == "present")
        card2.remove()
        assert wait_for(lambda: reader.status["card"] == "absent")
    finally:
        reader.stop()


def test_card_pulled_before_transmit_is_a_clean_card_removed(pcscd):
    from hardware.cardreader.pcsc import CardRemoved

    reader = CardReader(reader_filter="Virtual PCD")
    reader.start()
    try:
        assert wait_for(lambda: reader.state == DeviceState.ONLINE)
        card = VirtualCard({SELECT: b"\x90\x00"})
        connect_card(card)
        assert wait_for(lambda: reader.status["card"] == "present")
        card.remove()
        with pytest.raises(CardRemoved):
            reader.transmit([SELECT])
        assert wait_for(lambda: reader.status["card"] == "absent")
    finally:
        reader.stop()
