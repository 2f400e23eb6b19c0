"""Booking codes on central: derived from the server's secret, never stored in plain text.

A code is an HMAC of the booking's id under central's secret key, so central
can give it again (a booking system retrying a POST gets the same code) while
a copy of the database alone reveals none. Uniqueness within a site is
checked through a second keyed hash, `code_lookup`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from contract.codes import ALPHABET, LENGTH, normalise


def new_salt() -> str:
    return secrets.token_hex(16)


def derive_code(secret: bytes, booking_id: str, nonce: int) -> str:
    """The booking's code: 8 characters of the alphabet (about 40 bits)."""
    digest = hmac.new(secret, f"booking-code:{booking_id}:{nonce}".encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest(), "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def code_lookup(secret: bytes, site_id: str, code: str) -> str:
    """A keyed hash that finds a site's booking by code without storing the code."""
    message = f"code-lookup:{site_id}:{normalise(code)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
