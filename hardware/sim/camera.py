"""A simulated camera: a capture object OpenCV-shaped enough for `Camera`, showing sensor
noise, a QR code on request, or a frozen picture (the unplugged-camera fault)."""

from __future__ import annotations

import numpy as np
import zxingcpp


class SimCapture:
    def __init__(self, width: int = 320, height: int = 240) -> None:
        self.size = (height, width)
        self.rng = np.random.default_rng()
        self.qr_text: str | None = None
        self.frozen = False
        self._last: np.ndarray | None = None
        self.open = True

    def show_qr(self, text: str | None) -> None:
        """Hold a QR code (e.g. a booking code) up to the camera; None takes it away."""
        self.qr_text = text

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.open

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.frozen and self._last is not None:
            return True, self._last
        frame = self.rng.integers(150, 200, (*self.size, 3), dtype=np.uint8)
        if self.qr_text:
            code = np.array(
                zxingcpp.create_barcode(self.qr_text, zxingcpp.BarcodeFormat.QRCode).to_image(
                    scale=4
                )
            )
            h, w = code.shape
            frame[20 : 20 + h, 20 : 20 + w] = code[:, :, None]
        self._last = frame
        return True, frame

    def release(self) -> None:
        self.open = False

    def reopened(self) -> SimCapture:
        """What opening the simulated camera again gives: this capture, open again (a
        real camera hands out a fresh handle each time; a probe's release must not close
        the camera for good)."""
        self.open = True
        return self
