"""Video files with QR codes in them, standing in for a camera (none exists on a CI box)."""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp


def write_video(path, frames):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def noisy(seed):
    return np.random.default_rng(seed).integers(0, 255, (240, 320, 3), dtype=np.uint8)


def with_qr(text, seed):
    frame = noisy(seed) // 4 + 180
    code = np.array(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=5))
    h, w = code.shape
    frame[40 : 40 + h, 80 : 80 + w] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    return frame
