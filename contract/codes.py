"""Booking codes, card identifiers and PINs: how they are written and how they are hashed.

A kiosk never holds a plain booking code or card number: central sends a
hash with the booking's own salt, and the kiosk hashes what the citizen typed
or tapped the same way. The threat model is in docs/security.md: whoever
copies a kiosk's state.db must pay a memory-hard hash per guess and per
booking, so even a 4-byte card UID (2^32 guesses) costs days of work for one
booking instead of hours for a whole site.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# No 0/O, 1/I/L: nothing a citizen can mistype for something else.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})

# scrypt with 8 MiB of memory per hash: about 20 ms on a PC, 60-80 ms on a Pi 4.
SCRYPT = "scrypt:8192:8:1"
# What central sent before per-booking salts; kiosks still verify it until those bookings end.
LEGACY_PBKDF2 = "pbkdf2-sha256:20000"
CURRENT = SCRYPT
SUPPORTED = frozenset({SCRYPT, LEGACY_PBKDF2})


class UnsupportedHash(ValueError):
    """A hash algorithm this software does not know; a newer kiosk is needed."""


def normalise(typed: str) -> str:
    """What a citizen typed, as a code: case, spaces and dashes do not matter.

    Letters that look like digits are mapped the way the alphabet leaves them
    out, so a typed O or I never matches by accident.
    """
    return "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_CONFUSABLE)


def format_code(code: str) -> str:
    """How a code is shown to people: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def _hash(secret: str, salt: str, algorithm: str) -> str:
    data, salt_bytes = secret.encode(), bytes.fromhex(salt)
    if algorithm == SCRYPT:
        _, n, r, p = algorithm.split(":")
        digest = hashlib.scrypt(
            data, salt=salt_bytes, n=int(n), r=int(r), p=int(p), maxmem=64 << 20, dklen=32
        )
        return digest.hex()
    if algorithm == LEGACY_PBKDF2:
        return hashlib.pbkdf2_hmac("sha256", data, salt_bytes, 20_000).hex()
    raise UnsupportedHash(f"unknown hash algorithm {algorithm[:40]!r}")


def booking_code_hash(code: str, salt: str, algorithm: str = CURRENT) -> str:
    """The hash of a booking code as a kiosk stores it; typing variants hash the same."""
    return _hash(normalise(code), salt, algorithm)


def card_hash(card_uid: str, salt: str, algorithm: str = CURRENT) -> str:
    """The hash of a card's UID (hex); the plain UID never leaves the booking system's call."""
    return _hash(normalise(card_uid), salt, algorithm)


def pin_hash(pin: str, salt: str, algorithm: str = CURRENT) -> str:
    """The technician PIN's hash in the kiosk config (which names its algorithm)."""
    return _hash(normalise(pin), salt, algorithm)


def matches(expected_hash: str, actual_hash: str) -> bool:
    return hmac.compare_digest(expected_hash, actual_hash)


# A booking's display name at rest on the kiosk: sealed with a key only the booking's
# code (or card) opens. The key comes from scrypt with a salt of its own ("name-seal",
# then the booking's salt): a KDF separate from the lookup hash, whose output is in
# state.db. Standard library only, so encrypt-then-MAC: an HMAC-SHA256 keystream
# (counter mode) and a 128-bit HMAC-SHA256 tag over nonce and ciphertext.
NAME_SEAL = "v1"


def _name_keys(secret: str, salt: str) -> tuple[bytes, bytes]:
    _, n, r, p = SCRYPT.split(":")
    own_salt = hashlib.sha256(b"palvelupiste name-seal\0" + bytes.fromhex(salt)).digest()
    key = hashlib.scrypt(
        normalise(secret).encode(), salt=own_salt, n=int(n), r=int(r), p=int(p),
        maxmem=64 << 20, dklen=64,
    )  # fmt: skip
    return key[:32], key[32:]


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )[:length]


def seal_name(name: str, secret: str, salt: str) -> str:
    """`name` readable only with `secret` (a booking code or card UID) and `salt`."""
    encrypt, authenticate = _name_keys(secret, salt)
    nonce = secrets.token_bytes(16)
    plain = name.encode()
    sealed = bytes(
        a ^ b for a, b in zip(plain, _keystream(encrypt, nonce, len(plain)), strict=True)
    )
    tag = hmac.new(authenticate, nonce + sealed, hashlib.sha256).digest()[:16]
    return f"{NAME_SEAL}.{base64.urlsafe_b64encode(nonce + sealed + tag).decode()}"


def open_name(sealed: str, secret: str, salt: str) -> str | None:
    """The name, or None for another code, a changed seal or an unknown format."""
    version, _, body = sealed.partition(".")
    if version != NAME_SEAL:
        return None
    try:
        raw = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        return None
    if len(raw) < 32:
        return None
    nonce, data, tag = raw[:16], raw[16:-16], raw[-16:]
    encrypt, authenticate = _name_keys(secret, salt)
    expected = hmac.new(authenticate, nonce + data, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(tag, expected):
        return None
    plain = bytes(a ^ b for a, b in zip(data, _keystream(encrypt, nonce, len(data)), strict=True))
    return plain.decode("utf-8", "replace")
