"""Secrets: password hashes (argon2) and random bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("palvelupiste-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A 256-bit random token; the prefix tells people and logs what kind it is."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough to make a leaked table useless."""
    return hashlib.sha256(token.encode()).hexdigest()
