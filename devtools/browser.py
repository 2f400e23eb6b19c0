"""Debian's Chromium for tests and benchmarks, as this machine's closed network needs it.

Without the background-networking flags Chromium keeps trying Google's hosts; fake
media devices stand in for a camera and microphone, and the permission prompt is
answered yes.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
