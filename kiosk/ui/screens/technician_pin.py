"""The technician's PIN, with lockout after repeated failures (kiosk.ui.pin_lock)."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen

MAX_PIN = 12


class TechnicianPinScreen(KioskScreen):
    typed = StringProperty("")
    message = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.typed = ""
        lock = self.app.pin_lock
        self.message = "" if lock.enabled else "No technician PIN is configured for this kiosk."
        if lock.locked_for_s():
            self.message = f"Too many wrong PINs. Try again in {lock.locked_for_s()} s."

    def key(self, value: str) -> None:
        if value == "backspace":
            self.typed = self.typed[:-1]
        elif len(self.typed) < MAX_PIN:
            self.typed += value

    def submit(self) -> None:
        result = self.app.pin_lock.try_pin(self.typed)
        self.typed = ""
        if result == "ok":
            self.app.go("technician")
        elif result == "locked":
            self.message = (
                f"Too many wrong PINs. Try again in {self.app.pin_lock.locked_for_s()} s."
            )
        elif result == "wrong":
            self.message = "Wrong PIN."
        else:
            self.message = "No technician PIN is configured for this kiosk."

    def cancel(self) -> None:
        self.typed = ""
        self.app.go("maintenance" if self.app.maintenance else "attract")

    def wipe(self) -> None:
        self.typed = ""
