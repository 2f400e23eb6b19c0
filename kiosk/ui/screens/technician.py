"""The technician's screen: every device's state and self-test, maintenance mode on/off.

In English only: technicians work from a manual in one language.
"""

from __future__ import annotations

import threading
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from hardware.base import SelfTestReport
from kiosk.ui.screens.base import KioskScreen


def describe(report: SelfTestReport) -> str:
    parts = []
    for check in report.checks:
        detail = f" ({check['detail']})" if check["detail"] else ""
        parts.append(f"{check['name']}: {'ok' if check['passed'] else 'FAILED'}{detail}")
    checks = "; ".join(parts)
    return f"{report.kind}/{report.name}: {'PASS' if report.passed else 'FAIL'} — {checks}"


class TechnicianScreen(KioskScreen):
    status = StringProperty("")
    results = StringProperty("")
    running = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.results = ""
        self.refresh()

    def refresh(self) -> None:
        devices = self.app.devices
        lines = [f"{d.kind}/{d.name}: {d.state.value}" for d in devices.all.values()]
        lines += [f"{kind}: configured, but no driver" for kind in devices.missing]
        self.status = "\n".join(lines) or "No devices configured."

    def run_self_tests(self) -> None:
        if self.running:
            return
        self.running = True
        devices = list(self.app.devices.all.values())
        self.results = f"Testing {len(devices)} devices…"

        def work() -> None:
            done: list[str] = []
            for n, device in enumerate(devices, start=1):
                try:
                    line = describe(device.self_test())
                except Exception as exc:  # noqa: BLE001 - a crashing test is a failed test
                    line = f"{device.kind}/{device.name}: FAIL — {exc}"
                done.append(line)
                progress = "\n".join(done) + f"\n({n}/{len(devices)})"
                Clock.schedule_once(lambda _dt, text=progress: setattr(self, "results", text))
            Clock.schedule_once(lambda _dt: self._finished("\n".join(done)))

        threading.Thread(target=work, daemon=True).start()

    def _finished(self, text: str) -> None:
        self.running = False
        self.results = text
        self.refresh()

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
