"""The configuration document a kiosk runs with: defaults merged with its site's settings."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import time
from typing import Any


@dataclass(frozen=True)
class KioskConfig:
    """Everything a kiosk is configured with, and its default: the one place they are named.

    Central serves the defaults merged with a site's settings (`kiosk_document`);
    the kiosk reads its synced copy through `from_document`. Devices default to
    none: a kiosk drives only the hardware a site names, so nothing is ever
    "printed" into a simulator on a real box ("sim" is for the demo and tests).
    """

    languages: tuple[str, ...] = ("fi", "sv", "en")
    default_language: str = "fi"
    idle_timeout_s: float = 60
    idle_warning_s: float = 20
    max_extensions: int = 10
    heartbeat_interval_s: float = 30
    sync_interval_s: float = 300
    maintenance: bool = False
    ticket_printing: bool = True
    scanning: bool = True
    remote_calls: bool = True
    # Sound of video calls (kiosk/call/media.py): "pulse:NAME" (a PipeWire source or
    # sink through its PulseAudio server; "pulse:" is the default one), "file:PATH" (a
    # looped recording, for tests and the demo; microphone only) or "none". The defaults
    # are the echo-cancelling pair that systemd/pipewire/palvelupiste-echo-cancel.conf sets
    # up (docs/kiosk-ui.md).
    call_microphone: str = "pulse:kiosk-echo-cancel-source"
    call_speaker: str = "pulse:kiosk-echo-cancel-sink"
    # kind -> driver spec (hardware/devices.py), e.g. {"printer": "serial:/dev/ttyUSB0"}
    devices: dict[str, str] = field(default_factory=dict)
    # {"salt", "hash", "alg"} from `kiosk-ui pin-config`; none: technician entry is off
    technician_pin: dict[str, str] | None = None
    # Updates (kiosk/update): a new release is switched to only while no citizen is being
    # served and, when set, inside this daily window of the kiosk's local time
    # ("02:00-05:00"; it may pass midnight; empty: whenever the kiosk is idle).
    maintenance_window: str = ""
    # The health gate: all checks must hold within the timeout, then stay for `stable`.
    update_gate_timeout_s: float = 150
    update_gate_stable_s: float = 60
    # Branding on the attract and home screens: the site's name (central fills in its
    # own name for the site when this is empty), its accent colour ("#RRGGBB"; the
    # text on it is black or white, whichever reads better) and the municipality's
    # logo (a PNG of at most 64 KB, base64-encoded). High contrast ignores the colour.
    site_name: str = ""
    # The site's time zone (the site's own, set by central): every time a citizen sees on
    # the kiosk is in it, whatever the box's clock is set to.
    site_timezone: str = "Europe/Helsinki"
    accent_colour: str = ""
    logo_png: str = ""
    # The site's opening hours (central/fleet/site_config.py checks their shape): weekday →
    # spans, and dated exceptions. None: the site gives none, and screens say nothing.
    opening_hours: dict[str, Any] | None = None
    opening_exceptions: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> KioskConfig:
        """The typed view of a config document; a value of the wrong type falls back to
        its default instead of stopping a kiosk."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in document:
                continue
            value = document[f.name]
            default = getattr(cls(), f.name)
            if f.name == "languages" and isinstance(value, list):
                values[f.name] = tuple(str(x) for x in value)
            elif isinstance(default, bool) and isinstance(value, bool):
                values[f.name] = value
            elif isinstance(default, int | float) and not isinstance(default, bool):
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                    values[f.name] = type(default)(value)
            elif isinstance(default, str) and isinstance(value, str):
                values[f.name] = value
            elif f.name == "devices" and isinstance(value, dict):
                values[f.name] = {str(k): str(v) for k, v in value.items() if v}
            elif f.name == "technician_pin" and isinstance(value, dict):
                values[f.name] = {str(k): str(v) for k, v in value.items()}
            elif f.name == "opening_hours" and isinstance(value, dict):
                values[f.name] = value
            elif f.name == "opening_exceptions" and isinstance(value, list):
                values[f.name] = tuple(x for x in value if isinstance(x, dict))
        return cls(**values)


WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def window_problem(window: str) -> str | None:
    if window and not WINDOW.match(window):
        return "'maintenance_window' must look like 02:00-05:00 (or be empty)."
    return None


def in_window(window: str, now: time) -> bool:
    """Is `now` inside the daily window "HH:MM-HH:MM" (one that passes midnight too)?
    An empty or unreadable window is no restriction."""
    found = WINDOW.match(window or "")
    if not found:
        return True
    h1, m1, h2, m2 = (int(x) for x in found.groups())
    start, end = time(h1, m1), time(h2, m2)
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def defaults() -> dict[str, Any]:
    """The defaults as a JSON document (what central merges a site's settings into)."""
    document = asdict(KioskConfig())
    document["languages"] = list(document["languages"])
    return {k: v for k, v in document.items() if v is not None}


DEFAULTS: dict[str, Any] = defaults()


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def kiosk_document(
    site_config: dict[str, Any],
    version: int,
    site_name: str = "",
    site_timezone: str = "Europe/Helsinki",
) -> dict[str, Any]:
    """What a kiosk runs with: the defaults, the site's settings over them, the site's
    own name where the settings give none, and the site's time zone."""
    document: dict[str, Any] = merge_patch(DEFAULTS, site_config)
    document["version"] = version
    if not document.get("site_name"):
        document["site_name"] = site_name
    document["site_timezone"] = site_timezone
    return document


COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_LOGO_BYTES = 64 * 1024
MAX_LOGO_SIDE = 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def branding_problems(document: dict[str, Any]) -> list[str]:
    """What is wrong with a site's branding settings, in words."""
    found = []
    colour = document.get("accent_colour")
    if isinstance(colour, str) and colour and not COLOUR.match(colour):
        found.append("'accent_colour' must look like #0B5394 (or be empty).")
    name = document.get("site_name")
    if isinstance(name, str) and len(name) > 80:
        found.append("'site_name' must be at most 80 characters.")
    logo = document.get("logo_png")
    if isinstance(logo, str) and logo:
        import base64
        import struct

        try:
            png = base64.b64decode(logo, validate=True)
        except ValueError:
            return [*found, "'logo_png' must be a base64-encoded PNG."]
        if len(png) > MAX_LOGO_BYTES:
            found.append(f"'logo_png' must be at most {MAX_LOGO_BYTES // 1024} KB.")
        elif not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
            found.append("'logo_png' must be a PNG image.")
        else:
            width, height = struct.unpack(">II", png[16:24])
            if not (0 < width <= MAX_LOGO_SIDE and 0 < height <= MAX_LOGO_SIDE):
                found.append(f"'logo_png' must be at most {MAX_LOGO_SIDE}×{MAX_LOGO_SIDE} pixels.")
    return found


def etag(document: dict[str, Any]) -> str:
    import hashlib

    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:24]
    return f'"{digest}"'
