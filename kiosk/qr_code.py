"""An address as a QR code picture for the screen: one way for every QR the kiosk shows
(identification by phone, payment by phone)."""

from __future__ import annotations

import numpy as np
import zxingcpp

QR_SCALE = 6  # pixels a module: about 7 cm wide on a 22-inch kiosk screen


def qr_picture(address: str) -> np.ndarray:
    """The address as a QR code with its quiet zone, black on white (grey, 0 or 255)."""
    code = zxingcpp.create_barcode(address, zxingcpp.BarcodeFormat.QRCode)
    return np.array(code.to_image(scale=QR_SCALE, add_quiet_zones=True))
