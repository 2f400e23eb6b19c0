"""Booking codes: short, easy to type, and sent to kiosks only as salted hashes."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L: nothing a citizen can mistype for something else.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
HASH_ALGORITHM = "pbkdf2-sha256"
HASH_ITERATIONS = 20_000
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_salt() -> str:
    return secrets.token_hex(16)


def normalise(typed: str) -> str:
    """What a citizen typed, as a code: case, spaces and dashes do not matter.

    Letters that look like digits are mapped the way the alphabet leaves them
    out, so a typed O or I never matches by accident.
    """
    return "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_CONFUSABLE)


def code_hash(code: str, salt: str) -> str:
    """Slow enough that a stolen kiosk copy does not reveal codes cheaply."""
    digest = hashlib.pbkdf2_hmac(
        "sha256", normalise(code).encode(), bytes.fromhex(salt), HASH_ITERATIONS
    )
    return digest.hex()


def format_code(code: str) -> str:
    """How a code is shown to people: two groups of four."""
    return f"{code[:4]}-{code[4:]}"
