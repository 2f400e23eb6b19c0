"""Video the call's two sides send: frames with a QR code naming the sender, so the
receiving side proves by decoding it that media came through, and from whom."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import zxingcpp

WIDTH, HEIGHT = 640, 480


def frame_with_qr(text: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = (rng.integers(0, 60, (HEIGHT, WIDTH, 3), dtype=np.uint8) + 150).astype(np.uint8)
    code = np.array(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=10))
    h, w = code.shape
    top, left = (HEIGHT - h) // 2, (WIDTH - w) // 2
    frame[top : top + h, left : left + w] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    return frame


def kiosk_video(path: Path, text: str = "kiosk-camera", frames: int = 30) -> Path:
    """An MJPG file for the kiosk's camera driver (`video:PATH`)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (WIDTH, HEIGHT))
    for n in range(frames):
        writer.write(frame_with_qr(text, n))
    writer.release()
    return path


def desk_y4m(path: Path, text: str = "official-camera", frames: int = 30) -> Path:
    """A Y4M file (4:2:0, C420 as Chromium wants) for Chromium's fake camera."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420\n".encode())
        for n in range(frames):
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame_with_qr(text, n), cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def silence_wav(path: Path, seconds: float = 2.0) -> Path:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(b"\0\0" * int(48000 * seconds))
    return path


def decode_qr(image: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def speech_like(seconds: float, seed: int, pitch_hz: float, rate: int = 48000) -> np.ndarray:
    """Mono 16-bit sound shaped like speech: syllable bursts of a gliding voiced tone with
    breath noise. An echo canceller adapts to it as to a voice (a steady sine would be
    taken for noise and suppressed whatever the canceller did)."""
    t = np.arange(int(seconds * rate)) / rate
    syllables = (np.sin(2 * np.pi * 2.5 * t + seed) > 0).astype(np.float64)
    glide = 1 + 0.05 * np.sin(2 * np.pi * 0.7 * t)
    voiced = sum(np.sin(2 * np.pi * pitch_hz * k * t * glide) / k for k in range(1, 8))
    breath = np.random.default_rng(seed).normal(0, 0.3, t.size)
    return (syllables * (0.3 * voiced + breath) * 8000).astype(np.int16)
