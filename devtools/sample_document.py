"""A small PDF of several A4 pages, written by hand: what an official shows in tests and the demo.

Plain PDF 1.4 with the standard Helvetica font, so no PDF library is needed
to make it and any renderer can show it.
"""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def sample_pdf(pages: list[list[str]] | None = None) -> bytes:
    """Each page is a list of lines; the first is drawn large, as a title."""
    pages = pages or [
        ["Hakemus 1/2", "Asumistuen hakemus", "Tarkista tiedot ja allekirjoita."],
        ["Hakemus 2/2", "Liitteet", "Palkkatodistus, vuokrasopimus."],
    ]
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        ops = [f"BT /F1 40 Tf 60 760 Td ({_escape(lines[0])}) Tj ET"]
        for n, line in enumerate(lines[1:]):
            ops.append(f"BT /F1 22 Tf 60 {690 - 40 * n} Td ({_escape(line)}) Tj ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
