"""ESC/POS: the bytes a receipt printer understands, and what its status bytes mean.

Text goes out in code page PC858 (ESC t 19), which has å, ä, ö, Å, Ä, Ö and €.
Status comes from DLE EOT real-time queries. An empty or short reply is
"unknown", never "ok": python-escpos 3.1 reads silence as "paper adequate",
and a printer that is switched off is silent.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, DLE, EOT = b"\x1b", b"\x1d", b"\x10", b"\x04"
INIT = ESC + b"@"
CODEPAGE_PC858 = ESC + b"t" + bytes([19])
CUT = GS + b"V" + bytes([66, 0])  # feed to the cutter, then partial cut
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
DOUBLE_SIZE, NORMAL_SIZE = GS + b"!\x11", GS + b"!\x00"

# DLE EOT n: 1 printer status, 2 offline cause, 4 paper roll sensor.
QUERY_PRINTER, QUERY_OFFLINE, QUERY_PAPER = 1, 2, 4


def status_query(n: int) -> bytes:
    return DLE + EOT + bytes([n])


def text(line: str) -> bytes:
    """One line in PC858; characters it lacks become '?' rather than failing the receipt."""
    return line.encode("cp858", errors="replace") + b"\n"


def qr(data: str, module_size: int = 6) -> bytes:
    """QR code, model 2, error correction M (GS ( k)."""
    payload = data.encode("utf-8")
    store_len = len(payload) + 3

    def fn(cn: int, fn_: int, *params: int) -> bytes:
        body = bytes([cn, fn_, *params])
        return GS + b"(k" + bytes([len(body) % 256, len(body) // 256]) + body

    return (
        fn(49, 65, 50, 0)  # model 2
        + fn(49, 67, module_size)
        + fn(49, 69, 49)  # error correction M
        + GS
        + b"(k"
        + bytes([store_len % 256, store_len // 256, 49, 80, 48])
        + payload
        + fn(49, 81, 48)  # print
    )


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said; None where it said nothing (unknown)."""

    online: bool | None
    cover_open: bool | None
    paper: str  # ok | low | out | unknown
    error: bool | None

    @property
    def known(self) -> bool:
        return self.online is not None and self.paper != "unknown"


def _byte(reply: bytes) -> int | None:
    # A status byte always has bit 1 set and bit 4 set, bit 0 and bit 7 clear.
    if len(reply) != 1 or (reply[0] & 0b1001_0011) != 0b0001_0010:
        return None
    return reply[0]


def parse_status(printer: bytes, offline: bytes, paper: bytes) -> PrinterStatus:
    p, o, r = _byte(printer), _byte(offline), _byte(paper)
    if r is None:
        paper_state = "unknown"
    elif r & 0b0110_0000:
        paper_state = "out"
    elif r & 0b0000_1100:
        paper_state = "low"
    else:
        paper_state = "ok"
    return PrinterStatus(
        online=None if p is None else not bool(p & 0b0000_1000),
        cover_open=None if o is None else bool(o & 0b0000_0100),
        paper=paper_state,
        error=None if o is None else bool(o & 0b0100_0000),
    )
