"""What tells a citizen whose service point this is: the site's logo as a file the
screens can show, and today's opening hours in words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from contract.kiosk_config import KioskConfig
from kiosk.site_hours import finnish_time, hours_on

log = logging.getLogger("kiosk.ui")


def logo_file(directory: Path, logo_png: str) -> Path | None:
    """The logo from the config as a PNG file in `directory`, written once per logo; an
    older logo's file is removed so the directory holds one. None: no usable logo."""
    if not logo_png:
        return None
    import base64
    import binascii
    import hashlib

    try:
        png = base64.b64decode(logo_png, validate=True)
    except (binascii.Error, ValueError):
        log.warning("the site's logo is not base64; showing none")
        return None
    path = directory / f"logo-{hashlib.sha256(png).hexdigest()[:16]}.png"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("logo-*.png"):
            old.unlink(missing_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(png)
        partial.replace(path)
    return path


def today_text(t: Callable[[str], str], config: KioskConfig, day: date) -> str:
    """'Open today 8.00–16.00', 'Closed today', or '' when the site gives no hours."""
    spans = hours_on(config, day)
    if spans is None:
        return ""
    if not spans:
        return t("Closed today")
    hours = ", ".join(f"{finnish_time(a)}–{finnish_time(b)}" for a, b in spans)
    return t("Open today {hours}").format(hours=hours)
