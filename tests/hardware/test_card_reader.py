"""The PC/SC card reader against a real pcscd with vsmartcard's virtual reader and a
card written in Python (devtools/vpcd_card.py)."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("smartcard", reason="pyscard is installed by ./run test")

from devtools.vpcd_card import VirtualCard, connect_card  # noqa: E402
from devtools.waiting import wait_for
from hardware.base import DeviceError, DeviceState  # noqa: E402
from hardware.cardreader.pcsc import GET_UID, CardReader  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pcscd") is None, reason="pcscd is not installed"),
]
SELECT = bytes.fromhex("00A4040007A0000002471001")


def test_insert_transmit_remove_and_survive_a_pcscd_restart(pcscd):
    reader = CardReader(reader_filter="Virtual PCD")
    events = []
    reader.when_card_inserted = lambda atr: events.append(("in", atr))
    reader.when_card_removed = lambda: events.append(("out",))
    reader.start()
    try:
        assert wait_for(lambda: reader.state == DeviceState.ONLINE, 45)
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
        assert wait_for(lambda: reader.state == DeviceState.ONLINE, 45)
        card = VirtualCard({SELECT: b"\x90\x00"})
        connect_card(card)
        assert wait_for(lambda: reader.status["card"] == "present")
        card.remove()
        with pytest.raises(CardRemoved):
            reader.transmit([SELECT])
        assert wait_for(lambda: reader.status["card"] == "absent")
    finally:
        reader.stop()


def test_card_id_is_read_with_get_data(pcscd):
    reader = CardReader(reader_filter="Virtual PCD")
    reader.start()
    try:
        assert wait_for(lambda: reader.state == DeviceState.ONLINE, 45)
        card = VirtualCard({GET_UID: bytes.fromhex("04A1B2C3D4E5F6") + b"\x90\x00"})
        connect_card(card)
        assert wait_for(lambda: reader.status["card"] == "present")
        assert reader.read_card_id() == "04A1B2C3D4E5F6"
        card.remove()
        assert wait_for(lambda: reader.status["card"] == "absent")
        plain = VirtualCard({})  # a card that does not know GET DATA
        connect_card(plain)
        assert wait_for(lambda: reader.status["card"] == "present")
        with pytest.raises(DeviceError, match="did not give its identifier"):
            reader.read_card_id()
        plain.remove()
    finally:
        reader.stop()
