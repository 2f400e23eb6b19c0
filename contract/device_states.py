"""Device states, as drivers report them and heartbeats carry them to central.

After XFS4IoT's device states, kept small. `FAULTS` are the states that need
a person: the kiosk shows a fault screen for them, and central lists them as
faults of the kiosk (GET /kiosks) for the console to alert on.
"""

from __future__ import annotations

from enum import StrEnum


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # not present
    BUSY = "busy"
    USER_ERROR = "user_error"  # e.g. card left in reader
    HARDWARE_ERROR = "hardware_error"
    NEEDS_ATTENTION = "needs_attention"  # paper low, cover open


FAULTS = frozenset({DeviceState.HARDWARE_ERROR, DeviceState.NEEDS_ATTENTION, DeviceState.OFFLINE})

# One name for each state wherever a person reads it: the technician's screen on the
# kiosk and the console (whose fi/sv words translate these same English ones).
STATE_WORDS = {
    DeviceState.ONLINE: "ok",
    DeviceState.OFFLINE: "missing",
    DeviceState.BUSY: "busy",
    DeviceState.USER_ERROR: "needs the customer",
    DeviceState.HARDWARE_ERROR: "fault",
    DeviceState.NEEDS_ATTENTION: "needs attention",
}
KIND_WORDS = {
    "printer": "Printer",
    "camera": "Camera",
    "scanner": "Scanner",
    "card_reader": "Card reader",
    "payment_terminal": "Payment terminal",
    "gpio": "Buttons and lights",
}
