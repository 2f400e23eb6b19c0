"""What the citizen can do here; features switched off in config are not offered."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen


class HomeScreen(KioskScreen):
    pass
