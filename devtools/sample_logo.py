"""A real PNG made in code: a logo for the demo's site and for tests of branding, so
neither needs an image file in the tree."""

from __future__ import annotations

import base64
import struct
import zlib

# The demo municipality's colours: a dark wine-red band over white.
BAND = b"\x7a\x1f\x5c"
WHITE = b"\xff\xff\xff"


def png(width: int, height: int, colour: bytes = BAND) -> bytes:
    """A PNG `width`×`height`: a band of `colour` across the middle third, white around."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + (colour if height // 3 <= y < 2 * height // 3 else WHITE) * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def logo_png(width: int = 96, height: int = 96) -> str:
    """The logo as the site config carries it: base64."""
    return base64.b64encode(png(width, height)).decode()
