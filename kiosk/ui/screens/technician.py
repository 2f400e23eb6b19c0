"""The technician's screen: every device's state and self-test, maintenance mode on/off.

In English only: technicians work from a manual in one language.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from contract.device_states import KIND_WORDS, STATE_WORDS
from kiosk import self_test
from kiosk.ui.screens.base import KioskScreen


class TechnicianScreen(KioskScreen):
    status = StringProperty("")
    results = StringProperty("")
    running = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.results = ""
        self.refresh()

    def refresh(self) -> None:
        devices = self.app.devices
        lines = [
            f"{KIND_WORDS.get(d.kind, d.kind)} ({d.name}): {STATE_WORDS[d.state]}"
            for d in devices.all.values()
        ]
        lines += [f"{kind}: configured, but no driver" for kind in devices.missing]
        self.status = "\n".join(lines) or "No devices configured."

    def run_self_tests(self) -> None:
        """The same runner and report as `kiosk-provision self-test`, with progress."""
        if self.running:
            return
        self.running = True
        devices = self.app.devices
        self.results = f"Testing {len(devices.all)} devices…"
        lines: list[str] = []

        def step(*progress: Any) -> None:
            lines.append(self_test.progress_line(*progress))
            Clock.schedule_once(lambda _dt, text="\n".join(lines): setattr(self, "results", text))

        def done(results: list[self_test.DeviceResult] | None, _error: object) -> None:
            results = results or []
            self_test.save(self.app.store, results)
            self.running = False
            self.results = "\n".join(lines) + "\n\n" + self_test.describe(results, devices.missing)
            self.refresh()

        self.off_main_loop(lambda: self_test.run_all(devices, step), done)

    def toggle_maintenance(self) -> None:
        self.app.run_command(
            "local", "maintenance_off" if self.app.maintenance else "maintenance_on"
        )
        self.app.go("technician")

    def leave(self) -> None:
        self.results = ""
        self.app.go("maintenance" if self.app.maintenance else "attract")

    def wipe(self) -> None:
        self.results = ""
