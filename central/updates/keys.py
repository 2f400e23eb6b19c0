"""Signing keys of the release repository: Ed25519, one PEM file each, readable only by
their owner. Root keys belong offline (a release officer's USB stick), the targets key
with whoever builds releases, and only the snapshot and timestamp keys on central."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner


def generate(path: Path) -> CryptoSigner:
    """A new key written to `path` (0600; an existing file is never overwritten)."""
    signer = CryptoSigner.generate_ed25519()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(signer.private_bytes)
    return signer


def load(path: Path) -> CryptoSigner:
    return CryptoSigner(load_pem_private_key(path.read_bytes(), password=None))
