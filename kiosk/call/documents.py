"""Documents in a call: the official's PDF or image as pages to show, a scan as PNG to send."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

MAX_PAGES = 50
# Pages are rendered to fit a kiosk screen: about 1100 px tall for an A4 page.
RENDER_SCALE = 1100 / 842


def render_pages(content: bytes, max_pages: int = MAX_PAGES) -> list[np.ndarray]:
    """BGR images of the document's pages (a PDF rendered with pdfium; an image as is).
    An unreadable document gives no pages."""
    if content.startswith(b"%PDF-"):
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(content)
        except pdfium.PdfiumError:
            return []
        try:
            pages = []
            for index in range(min(len(pdf), max_pages)):
                # pdfium renders BGR unless told otherwise: what the kiosk's textures take.
                bitmap = pdf[index].render(scale=RENDER_SCALE)
                pages.append(np.array(bitmap.to_numpy()))
            return pages
        finally:
            pdf.close()
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    return [] if image is None else [image]


def as_png(path: Path) -> bytes:
    """A scanned page as PNG bytes (scanimage already writes PNG; anything else is converted)."""
    data = path.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path.name} is not an image")
    return cv2.imencode(".png", image)[1].tobytes()
