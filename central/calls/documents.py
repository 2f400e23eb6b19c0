"""Documents of a call, sealed at rest with AES-GCM under a key derived from central's secret.

A leaked database dump holds no readable scan; the call id is bound in as
associated data, so a sealed document copied into another call does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from central.errors import ApiError

NONCE_BYTES = 12
# What the kiosk can show and print: PDF and the common image formats, by their magic.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def document_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"call-documents:v1", hashlib.sha256).digest()


def seal(secret: bytes, call_id: str, content: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(document_key(secret)).encrypt(nonce, content, call_id.encode())


def unseal(secret: bytes, call_id: str, sealed: bytes) -> bytes:
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    return AESGCM(document_key(secret)).decrypt(nonce, body, call_id.encode())


def content_type_of(content: bytes) -> str:
    """The document's type from its first bytes; anything else is refused with a 415."""
    for magic, kind in SIGNATURES.items():
        if content.startswith(magic):
            return kind
    raise ApiError(415, "unsupported_media_type", "Send a PDF, PNG or JPEG document.")


def clean_name(name: str | None, content_type: str) -> str:
    """A file name safe to show and to put in a download header."""
    keep = "".join(c for c in (name or "") if c.isalnum() or c in " ._-()")[:120].strip(" .")
    if keep:
        return keep
    return "document." + content_type.split("/")[1].replace("jpeg", "jpg")
