"""A FINEID card in Python for vsmartcard's vpcd: the PKCS#15 application, the
authentication certificate file 4331, PIN1 with its tries (blocked after five wrong),
MANAGE SECURITY ENVIRONMENT and PERFORM SECURITY OPERATION with the card's own key
(RSA-PSS over SHA-256 like v3, ECDSA P-384 like v4). Answers as the FINEID
specification says a card does; nothing here is the product's."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from devtools.card_pki import Citizen
from devtools.vpcd_card import VirtualCard

AID = bytes.fromhex("A000000063504B43532D3135")
OK = b"\x90\x00"


class FineidCard(VirtualCard):
    def __init__(self, citizen: Citizen, pin: str = "1234", tries: int = 5) -> None:
        super().__init__()
        self.citizen = citizen
        self.pin = pin.encode().ljust(12, b"\x00")
        self.tries = tries
        self.selected_app = False
        self.file: bytes | None = None
        self.verified = False
        self.environment: bytes | None = None
        self.digest: bytes | None = None
        self.signed: list[bytes] = []  # every digest the card signed

    def reply(self, apdu: bytes) -> bytes:
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xA4 and p1 == 0x04:
            self.selected_app = body == AID
            self.verified = False  # selecting again ends what the PIN unlocked
            return OK if self.selected_app else b"\x6a\x82"
        if not self.selected_app:
            return b"\x69\x85"
        if ins == 0xA4 and p1 == 0x08:
            if body != b"\x43\x31":
                return b"\x6a\x82"
            self.file = self.citizen.der
            return OK
        if ins == 0xB0:
            if self.file is None:
                return b"\x69\x86"
            offset = (p1 << 8) | p2
            return self.file[offset : offset + 0xE7] + OK
        if ins == 0xCB:
            info = bytearray(24)
            info[20] = self.tries
            return bytes(info) + OK
        if ins == 0x20 and p2 == 0x11:
            if self.tries == 0:
                return b"\x69\x83"
            if body == self.pin:
                self.tries, self.verified = 5, True
                return OK
            self.tries -= 1
            return bytes([0x63, 0xC0 | self.tries])
        if ins == 0x22:
            if not self.verified:
                return b"\x69\x82"
            self.environment = body
            return OK
        if ins == 0x2A and (p1, p2) == (0x90, 0xA0):
            if self.environment is None or body[:1] != b"\x90":
                return b"\x69\x85"
            self.digest = body[2 : 2 + body[1]]
            return OK
        if ins == 0x2A and (p1, p2) == (0x9E, 0x9A):
            if not self.verified or self.digest is None:
                return b"\x69\x82"
            signature = self._sign(self.digest)
            self.signed.append(self.digest)
            self.digest, self.verified = None, False
            return signature + OK
        return b"\x6d\x00"

    def _sign(self, digest: bytes) -> bytes:
        key = self.citizen.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(
                digest,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                utils.Prehashed(hashes.SHA256()),
            )
        r, s = utils.decode_dss_signature(
            key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA384())))
        )
        return r.to_bytes(48, "big") + s.to_bytes(48, "big")
