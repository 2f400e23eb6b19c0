"""Secrets: password hashes (argon2) and random bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's default (RFC 9106's second recommendation: 64 MiB, 3 passes, 4 lanes),
# about 0.1 s a hash here. A hash carries its own cost, so changing it later (Settings'
# password_hash_*) only changes new hashes; old ones still verify.
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases cost the same time; made on
# first need, not at import (a hash costs a tenth of a second at every start and CLI call).
_dummy_hash: str | None = None


def configure_password_hashing(memory_kib: int, time_cost: int) -> None:
    """Set the cost of new hashes (central's settings, at start)."""
    global _hasher, _dummy_hash
    if (_hasher.memory_cost, _hasher.time_cost) == (memory_kib, time_cost):
        return
    _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("palvelupiste-dummy-password")
    return _dummy_hash


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str) -> str:
    """A 256-bit random token; the prefix tells people and logs what kind it is."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough to make a leaked table useless."""
    return hashlib.sha256(token.encode()).hexdigest()
