"""What an ID card signs for central: the challenge's digest, by the card's key. FINEID
v3 cards have RSA keys and sign SHA-256 digests (RSA-PSS); v4 cards have EC P-384 keys
and sign SHA-384 digests (ECDSA, raw r‖s). Central checks by the same rule."""

from __future__ import annotations

import hashlib


def challenge_digest(challenge: bytes, elliptic: bool) -> bytes:
    return (hashlib.sha384 if elliptic else hashlib.sha256)(challenge).digest()
