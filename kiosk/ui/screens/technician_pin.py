"""The technician's PIN, with lockout after repeated failures (kiosk.ui.pin_lock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ifaddr
from kivy.properties import StringProperty

from contract import release
from kiosk.agent.client import Credentials
from kiosk.ui.screens.base import KioskScreen

MAX_PIN = 12


def kiosk_identity(state_dir: Path, site_name: str) -> str:
    """Which kiosk this is, for the technician before the PIN: its id, site, software
    version and network addresses (a technician on the phone to the help desk reads them
    out)."""
    try:
        kiosk_id = Credentials.load(state_dir / "credentials.json").kiosk_id
    except (OSError, ValueError, TypeError):
        kiosk_id = "not enrolled"
    addresses = sorted(
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    )
    return " · ".join(
        [
            f"Kiosk {kiosk_id}" + (f" ({site_name})" if site_name else ""),
            f"Software {release.VERSION}",
            f"Network {', '.join(addresses) or 'no address'}",
        ]
    )


class TechnicianPinScreen(KioskScreen):
    """In English, as the technician's own screen is (technicians work from a manual in
    one language): the whole screen, its keys too, so no words mix (issue 33)."""

    typed = StringProperty("")
    message = StringProperty("")
    identity = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.typed = ""
        self.app.set_language("en")
        self.identity = kiosk_identity(self.app.settings.state_dir, self.app.kiosk_config.site_name)
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
