"""The reader's own PIN pad (CCID secure PIN entry, PC/SC part 10): the feature list
parsed, the PIN_VERIFY_STRUCTURE laid out as the specification says, and a FINEID card
verified through it.

No PIN pad reader can run here (vsmartcard's virtual reader has none; the real pcscd's
answer without one is tested in test_fineid_card.py), so the reader's firmware is
played by `ReaderFirmware` below, written from PC/SC part 10: it reads the structure,
puts the typed digits into the APDU template's PIN block as the format bytes say, and
sends the APDU to the virtual FINEID card, whose answer proves the template right."""

from __future__ import annotations

import struct

import pytest

from devtools.card_pki import make_card_ca
from devtools.fineid_card import FineidCard
from hardware.cardreader import fineid
from hardware.cardreader.pinpad import (
    FEATURE_VERIFY_PIN_DIRECT,
    feature_request_code,
    features,
    verify_structure,
)


def test_the_readers_feature_list_is_read_as_tlv():
    answer = bytes.fromhex("0604420000060704420000070A0442000D4C") + b"\x00"  # padded
    assert features(answer) == {
        FEATURE_VERIFY_PIN_DIRECT: 0x42000006,
        0x07: 0x42000007,
        0x0A: 0x42000D4C,
    }
    assert features(b"") == {} and features(bytes.fromhex("0602ABCD")) == {}
    assert feature_request_code() == 0x42000D48


def test_the_verify_structure_is_laid_out_as_pcsc_part_10_says():
    header = bytes([0x00, 0x20, 0x00, 0x11])
    data = verify_structure(header, 12, 4, 12)
    timer, timer2, fmt, block, length_format = data[:5]
    (extra,) = struct.unpack("<H", data[5:7])
    validation, messages = data[7], data[8]
    (language,) = struct.unpack("<H", data[9:11])
    (data_length,) = struct.unpack("<I", data[15:19])
    apdu = data[19:]
    assert timer > 0 and timer2 > 0
    assert fmt == 0x82  # bytes, offset 0, left-justified, ASCII
    assert block == 12 and length_format == 0
    assert (extra >> 8, extra & 0xFF) == (4, 12)  # min and max digits
    assert validation == 0x02 and messages == 1 and language == 0x040B
    assert data_length == len(apdu) == 17
    assert apdu == header + bytes([12]) + bytes(12)


class ReaderFirmware:
    """A PIN pad reader's side of VERIFY_PIN_DIRECT, from PC/SC part 10 (see above)."""

    def __init__(self, card: FineidCard, typed: str | None) -> None:
        self.card, self.typed = card, typed

    def __call__(self, structure: bytes) -> bytes:
        if self.typed is None:
            return b"\x64\x01"  # the citizen pressed Cancel on the reader
        fmt, block = structure[2], structure[3] & 0x0F
        (minimum_maximum,) = struct.unpack("<H", structure[5:7])
        minimum, maximum = minimum_maximum >> 8, minimum_maximum & 0xFF
        assert fmt & 0x03 == 0x02 and minimum <= len(self.typed) <= maximum
        apdu = bytearray(structure[19:])
        offset = 5 + ((fmt >> 3) & 0x0F)
        apdu[offset : offset + len(self.typed)] = self.typed.encode()
        assert len(apdu) == 5 + block
        return self.card.reply(bytes(apdu))


@pytest.fixture(scope="module")
def citizen(tmp_path_factory):
    return make_card_ca(tmp_path_factory.mktemp("vrk")).citizen(
        "Maija", "Virtanen", "999198633", kind="ec"
    )


def test_the_card_signs_after_the_pin_typed_on_the_readers_pad(citizen):
    card = FineidCard(citizen, pin="2468")
    digest = bytes(48)
    signature = fineid.sign(card.reply, None, digest, True, ReaderFirmware(card, "2468"))
    assert signature and card.signed == [digest]
    with pytest.raises(fineid.WrongPin) as wrong:
        fineid.sign(card.reply, None, digest, True, ReaderFirmware(card, "1111"))
    assert wrong.value.tries_left == 4
    with pytest.raises(fineid.CardError) as cancelled:
        fineid.sign(card.reply, None, digest, True, ReaderFirmware(card, None))
    assert cancelled.value.reason == "pin_cancelled"
    with pytest.raises(fineid.CardError):  # no pad and no PIN: nothing reaches the card
        fineid.sign(card.reply, None, digest, True, None)
