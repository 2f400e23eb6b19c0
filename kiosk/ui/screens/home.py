"""What the citizen can do here; features switched off in config are not offered."""

from __future__ import annotations

from typing import Any

from kiosk.ui.screens.base import KioskScreen


class HomeScreen(KioskScreen):
    def prepare(self, **params: Any) -> None:
        """Whether video service is available now is asked again (at most every 2 min)."""
        self.app.refresh_video_now()
