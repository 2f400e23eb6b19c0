"""Out of order: set in config or by a remote command. The technician corner still works."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.technician_corner import TechnicianCorner


class MaintenanceScreen(KioskScreen):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.corner = TechnicianCorner()

    def on_touch_down(self, touch: Any) -> bool:
        if self.corner.tap(self, touch) and self.corner.opened:
            self.app.go("technician_pin")
        return True
