"""A card reader's own PIN pad (CCID secure PIN entry, PC/SC part 10): the citizen types
the PIN on the reader, which sends it to the card itself; the kiosk never holds it.

The reader lists what it can do in its answer to CM_IOCTL_GET_FEATURE_REQUEST (tag,
length 4, the control code, big-endian); FEATURE_VERIFY_PIN_DIRECT is the one used here,
with a PIN_VERIFY_STRUCTURE whose APDU template is the card's VERIFY with an empty PIN
block. A reader without it (vsmartcard's virtual reader, most desktop readers) is used
with the on-screen keypad instead.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

FEATURE_VERIFY_PIN_DIRECT = 0x06
LANGUAGE_FINNISH = 0x040B  # the message language the reader shows, where it shows one
TIMEOUT_S = 30  # the reader's own limit for the whole PIN

Control = Callable[[int, bytes], bytes]


def feature_request_code() -> int:
    """SCARD_CTL_CODE(3400): pcsc-lite's value, the same on every Linux."""
    return 0x42000000 + 3400


def features(answer: bytes) -> dict[int, int]:
    """The reader's features (tag → control code) from its TLV answer; a short or
    malformed tail is ignored, as a reader may pad its answer."""
    found: dict[int, int] = {}
    at = 0
    while at + 6 <= len(answer):
        tag, length = answer[at], answer[at + 1]
        if length != 4:
            break
        found[tag] = struct.unpack(">I", answer[at + 2 : at + 6])[0]
        at += 6
    return found


def verify_structure(
    verify_header: bytes, block_length: int, min_digits: int, max_digits: int
) -> bytes:
    """PIN_VERIFY_STRUCTURE for a PIN in ASCII, left-justified and padded with 0x00 to
    `block_length` bytes (FINEID's format), confirmed with the reader's OK key."""
    apdu = verify_header + bytes([block_length]) + bytes(block_length)
    return (
        bytes(
            [
                TIMEOUT_S,  # bTimerOut
                TIMEOUT_S,  # bTimerOut2
                0x82,  # bmFormatString: units in bytes, PIN at offset 0, left, ASCII
                block_length & 0x0F,  # bmPINBlockString: no length field, block size
                0x00,  # bmPINLengthFormat: no length written
            ]
        )
        + struct.pack("<H", (min_digits << 8) | max_digits)  # wPINMaxExtraDigit
        + bytes([0x02, 0x01])  # bEntryValidationCondition: OK key; bNumberMessage
        + struct.pack("<H", LANGUAGE_FINNISH)  # wLangId
        + bytes([0x00, 0x00, 0x00, 0x00])  # bMsgIndex, bTeoPrologue
        + struct.pack("<I", len(apdu))  # ulDataLength
        + apdu
    )
