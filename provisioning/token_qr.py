"""Enrolment tokens read from a QR code image (a photo of the sheet from central's admin)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class NoTokenInImage(ValueError):
    pass


@dataclass(frozen=True)
class EnrolmentTicket:
    """What a QR code or an enrolment file carries: the token, and central's address if known."""

    token: str
    central: str | None = None
    # Plain http:// to a central on a closed test network (the enrolment file's
    # "insecure": true, as --insecure for kiosk-provision enrol); never for production.
    insecure: bool = False


def parse_ticket(text: str) -> EnrolmentTicket:
    """A bare token, or JSON {"token": ..., "central": ..., "insecure"?: true}."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise NoTokenInImage(f"the code holds JSON that cannot be read: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise NoTokenInImage('the code\'s JSON has no "token"')
        central = data.get("central")
        return EnrolmentTicket(
            data["token"].strip(),
            central if isinstance(central, str) else None,
            insecure=data.get("insecure") is True,
        )
    if not text or any(ch.isspace() for ch in text):
        raise NoTokenInImage("the code does not hold an enrolment token")
    return EnrolmentTicket(text)


def read_ticket_from_image(path: Path) -> EnrolmentTicket:
    import cv2
    import zxingcpp

    image = cv2.imread(str(path))
    if image is None:
        raise NoTokenInImage(f"{path} is not an image that can be opened")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    if not found:
        raise NoTokenInImage(f"no QR code found in {path}; take the photo closer and straight on")
    return parse_ticket(found[0].text)
