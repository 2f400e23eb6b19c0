"""A printable PDF of plain lines of text, written by hand from the PDF 1.4 specification:
statements need a file both parties can archive, and a whole PDF library is not worth
one page of text. Helvetica in WinAnsiEncoding covers Finnish and Swedish letters and €."""

from __future__ import annotations

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 56
LEADING = 15
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING


def _text(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_content(lines: list[tuple[str, bool]]) -> bytes:
    out = [b"BT", f"{LEADING} TL".encode(), f"{MARGIN} {PAGE_H - MARGIN} Td".encode()]
    for text, bold in lines:
        font = b"/F2 12 Tf" if bold else b"/F1 10 Tf"
        out += [font, b"(" + _text(text) + b") Tj", b"T*"]
    out.append(b"ET")
    return b"\n".join(out)


def text_pdf(title: str, lines: list[tuple[str, bool]]) -> bytes:
    """A PDF of (text, bold) lines on as many A4 pages as they need; `title` is the
    document's title in its properties."""
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 regular font, 4 bold font, 5 info, then (page, content) pairs
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for name in (b"Helvetica", b"Helvetica-Bold"):
        objects.append(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /" + name + b" /Encoding /WinAnsiEncoding >>"
        )
    objects.append(b"<< /Title (" + _text(title) + b") /Producer (Palvelupiste) >>")
    for i, page in enumerate(pages):
        content = _page_content(page)
        fonts = "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >>"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"{fonts} /Contents {7 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 5 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
