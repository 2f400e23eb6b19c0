"""A device cannot do what the citizen asked: say so plainly and offer what still works."""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, StringProperty

from hardware.base import (
    CoverOpen,
    DeviceError,
    FeederEmpty,
    MediaJam,
    OutOfPaper,
)
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen

# (device, error type) → (title, explanation); None matches any error of that device.
MESSAGES: dict[tuple[str, type | None], tuple[str, str]] = {
    ("printer", OutOfPaper): (N_("The printer is out of paper"), N_("Staff have been told.")),
    ("printer", CoverOpen): (N_("The printer is not ready"), N_("Staff have been told.")),
    ("printer", None): (N_("The printer is not working right now"), N_("Staff have been told.")),
    ("scanner", MediaJam): (N_("The scanner has jammed"), N_("Staff have been told.")),
    ("scanner", FeederEmpty): (
        N_("There is no paper in the scanner"),
        N_("Put your pages in the feeder and try again."),
    ),
    ("scanner", None): (N_("The scanner is not working right now"), N_("Staff have been told.")),
    ("camera", None): (
        N_("The camera is not available"),
        N_("You can type your booking code instead."),
    ),
}
# What still works, per device that failed: (button text, screen).
OFFERS = {
    "printer": [(N_("Check in for a booking"), "checkin"), (N_("Find a service"), "catalogue")],
    "scanner": [(N_("Find a service"), "catalogue"), (N_("Check in for a booking"), "checkin")],
    "camera": [(N_("Type your booking code"), "checkin"), (N_("Find a service"), "catalogue")],
}


def message_for(device: str, error: DeviceError | None) -> tuple[str, str]:
    for (kind, error_type), message in MESSAGES.items():
        if kind == device and error_type is not None and isinstance(error, error_type):
            return message
    return MESSAGES.get(
        (device, None), (N_("Something is not working"), N_("Staff have been told."))
    )


class FaultScreen(KioskScreen):
    title = StringProperty("")
    explanation = StringProperty("")
    ticket = StringProperty("")
    offers = ListProperty()

    def prepare(self, **params: Any) -> None:
        device = params.get("device", "")
        error = params.get("error")
        self.title, self.explanation = message_for(device, error)
        self.ticket = params.get("ticket", "")
        self.offers = OFFERS.get(device, [])

    def wipe(self) -> None:
        self.ticket = ""
