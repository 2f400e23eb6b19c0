"""The Finnish ID card (FINEID v3 and v4) as the kiosk uses it: read the authentication
certificate, say how many PIN tries are left, and have the card sign central's
challenge after the citizen's PIN1. The PIN goes to the card only, in one card session,
and is never kept; the card is reset when the session ends.

APDUs from the FINEID application and implementation specifications (DVV, S1/S4-1
v3.0–v4.0): the PKCS#15 application, the authentication certificate file 4331, PIN1 as
reference 0x11 (4–12 digits, padded with 0x00 to 12), MANAGE SECURITY ENVIRONMENT for
the authentication key (0x01), PERFORM SECURITY OPERATION then its result. v3 keys are
RSA and sign RSA-PSS over SHA-256; v4 keys are EC P-384 and sign ECDSA over SHA-384.
"""

from __future__ import annotations

from collections.abc import Callable

from hardware.base import DeviceError
from hardware.cardreader.pinpad import verify_structure

Send = Callable[[bytes], bytes]

PKCS15_AID = bytes.fromhex("A000000063504B43532D3135")
AUTH_CERT_PATH = bytes.fromhex("4331")
AUTH_PIN = 0x11
AUTH_KEY = 0x01
RSA_PSS_SHA256 = 0x45  # RSA-PSS (0x05) with SHA-256 (0x40)
ECDSA_SHA384 = 0x54  # ECDSA (0x04) with SHA-384 (0x50)
PIN_LENGTH = 12
OK = b"\x90\x00"


class CardError(DeviceError):
    """The card refused or is not a FINEID card; `reason` is a short word for the UI."""

    def __init__(self, message: str, reason: str = "card_error") -> None:
        super().__init__(message)
        self.reason = reason


class WrongPin(CardError):
    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong PIN, {tries_left} tries left", "wrong_pin")
        self.tries_left = tries_left


class PinBlocked(CardError):
    def __init__(self) -> None:
        super().__init__("the PIN is blocked", "pin_blocked")


def _apdu(cla_ins_p1_p2: str, data: bytes = b"", le: int | None = None) -> bytes:
    out = bytes.fromhex(cla_ins_p1_p2)
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le])
    return out


def _ok(answer: bytes, what: str) -> bytes:
    if answer[-2:] != OK:
        raise CardError(f"the card refused {what} ({answer[-2:].hex()})")
    return answer[:-2]


def select_application(send: Send) -> None:
    _ok(send(_apdu("00A4040C", PKCS15_AID)), "the FINEID application")


def read_certificate(send: Send) -> bytes:
    """The authentication certificate (DER): selected by path, read in chunks until the
    DER's own length says it is whole."""
    select_application(send)
    _ok(send(_apdu("00A4080C", AUTH_CERT_PATH)), "the certificate file")
    data = b""
    wanted: int | None = None
    while wanted is None or len(data) < wanted:
        offset = len(data)
        chunk = _ok(
            send(bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, 0x00])), "reading the certificate"
        )
        if not chunk:
            break
        data += chunk
        if wanted is None and len(data) >= 4:
            wanted = _der_length(data)
        if len(data) > 8192:
            raise CardError("the certificate file is larger than any certificate")
    if wanted is None or len(data) < wanted:
        raise CardError("the certificate file ended early")
    return data[:wanted]


def _der_length(data: bytes) -> int:
    """The whole length of a DER SEQUENCE from its header."""
    if data[0] != 0x30:
        raise CardError("the certificate file holds no certificate")
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def pin_tries_left(send: Send) -> int:
    """PIN1's tries left (GET DATA of the PIN's information)."""
    select_application(send)
    answer = _ok(send(_apdu("00CB00FF", bytes.fromhex("A003830111"), 0x00)), "the PIN's state")
    if len(answer) < 21:
        raise CardError("the card did not say how many PIN tries are left")
    return answer[20]


def sign(
    send: Send, pin: str | None, digest: bytes, elliptic: bool, pin_pad: Send | None = None
) -> bytes:
    """PIN1 verified, then the authentication key signs `digest` (the challenge's hash).
    `pin` None: the citizen types PIN1 on the reader's own `pin_pad` (the kiosk never
    sees it; pinpad.py), which sends the same VERIFY to the card."""
    verify = bytes([0x00, 0x20, 0x00, AUTH_PIN])
    if pin is None:
        if pin_pad is None:
            raise CardError("this reader has no PIN pad", "pin_format")
        select_application(send)
        answer = pin_pad(verify_structure(verify, PIN_LENGTH, 4, PIN_LENGTH))
    else:
        if not (4 <= len(pin) <= PIN_LENGTH and pin.isdigit()):
            raise CardError("PIN1 is 4 to 12 digits", "pin_format")
        select_application(send)
        padded = pin.encode().ljust(PIN_LENGTH, b"\x00")
        answer = send(verify + bytes([PIN_LENGTH]) + padded)
    status = answer[-2:]
    if status == b"\x64\x01":
        raise CardError("the PIN entry was cancelled on the reader", "pin_cancelled")
    if status == b"\x64\x00":
        raise CardError("no PIN was typed on the reader in time", "pin_cancelled")
    if status == b"\x69\x83":
        raise PinBlocked()
    if status[:1] == b"\x63" and status[1] & 0xF0 == 0xC0:
        tries = status[1] & 0x0F
        raise PinBlocked() if tries == 0 else WrongPin(tries)
    _ok(answer, "the PIN")
    algorithm = ECDSA_SHA384 if elliptic else RSA_PSS_SHA256
    environment = bytes([0x80, 0x01, algorithm, 0x84, 0x01, AUTH_KEY])
    _ok(send(_apdu("002241B6", environment)), "choosing the key")
    _ok(send(_apdu("002A90A0", bytes([0x90, len(digest)]) + digest)), "the hash")
    signature = _ok(send(_apdu("002A9E9A", le=0x00)), "signing")
    if not signature:
        raise CardError("the card gave no signature")
    return signature
