"""The site's branding on the real attract and home screens: its name, its logo, its
brand colour (overridden by high contrast), and today's opening hours."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from devtools.sample_logo import logo_png
from devtools.ui_driver import UiDriver
from tests.support.own_process import in_own_process

pytestmark = pytest.mark.slow

EVERY_DAY = {day: [["08:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CONFIG = {
    "site_name": "Keravan palvelupiste",
    "accent_colour": "#7A1F5C",
    "logo_png": logo_png(64, 32),
    "opening_hours": EVERY_DAY,
}


@in_own_process
def test_attract_and_home_show_the_sites_name_logo_colour_and_hours(tmp_path):
    from kivy.uix.image import Image

    from kiosk.ui.theme import HIGH_CONTRAST, _hex

    ui = UiDriver(tmp_path, config=CONFIG)
    assert "Keravan palvelupiste" in ui.texts()
    assert ui.wait_until(lambda: "8.00–16.00" in ui.texts())
    logo = Path(ui.app.logo_path)
    assert logo.read_bytes() == base64.b64decode(CONFIG["logo_png"])
    shown = [
        w
        for w in ui.app.manager.current_screen.walk()
        if isinstance(w, Image) and w.source == str(logo)
    ]
    assert shown and shown[0].texture is not None and tuple(shown[0].texture.size) == (64, 32)
    assert ui.app.colors["accent"] == _hex("#7A1F5C")
    assert ui.app.colors["accent_text"] == _hex("#FFFFFF")  # white reads better on wine red
    ui.screenshot("attract-branded")

    ui.tap_at(640, 400)
    ui.tap("Suomi")
    assert ui.screen == "home"
    assert "Keravan palvelupiste" in ui.texts()
    assert "Avoinna tänään 8.00–16.00" in ui.texts()
    ui.screenshot("home-branded")
    ui.app.toggle("high_contrast")
    assert ui.app.colors["accent"] == _hex(HIGH_CONTRAST.accent)  # the brand gives way
    ui.stop()
