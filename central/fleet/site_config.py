"""A site's settings checked before they are saved, and the diff a person reviews first.

The kiosk reads its configuration leniently (a wrong value falls back to its
default: contract/kiosk_config.py); a person editing it deserves to hear
about the mistake instead, before any kiosk gets it.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import fields
from datetime import date
from typing import Any

from contract.kiosk_config import KioskConfig, branding_problems, window_problem

LANGUAGES = ("fi", "sv", "en")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Site settings beyond the kiosk's own: shown at the kiosk and in the console.
SITE_KEYS = ("opening_hours", "opening_exceptions")
KNOWN = {f.name for f in fields(KioskConfig)} | set(SITE_KEYS)
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
RANGES = {
    "idle_timeout_s": (15, 3600),
    "idle_warning_s": (5, 600),
    "max_extensions": (0, 100),
    "heartbeat_interval_s": (1, 3600),
    "sync_interval_s": (10, 86400),
    "update_gate_timeout_s": (30, 7200),
    "update_gate_stable_s": (5, 3600),
}
MAX_EXCEPTIONS = 200


def problems(config: dict[str, Any]) -> list[str]:
    """What is wrong with a site's settings, in words; empty when they can be saved."""
    found = [f"'{key}' is not a setting kiosks know." for key in config if key not in KNOWN]
    defaults = KioskConfig()
    for key, value in config.items():
        if key not in KNOWN or key in SITE_KEYS or key in ("languages", "devices"):
            continue
        default = getattr(defaults, key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                found.append(f"'{key}' must be true or false.")
        elif isinstance(default, int | float):
            low, high = RANGES.get(key, (0, 10**9))
            if isinstance(value, bool) or not isinstance(value, int | float):
                found.append(f"'{key}' must be a number.")
            elif not low <= value <= high:
                found.append(f"'{key}' must be between {low} and {high}.")
        elif isinstance(default, str) and not isinstance(value, str):
            found.append(f"'{key}' must be text.")
    found += _languages(config)
    if "devices" in config and not (
        isinstance(config["devices"], dict)
        and all(isinstance(v, str) for v in config["devices"].values())
    ):
        found.append("'devices' must map a device kind to its driver, e.g. {\"printer\": …}.")
    found += opening_problems(config.get("opening_hours"), config.get("opening_exceptions"))
    found += branding_problems(config)
    window = config.get("maintenance_window")
    if isinstance(window, str) and (problem := window_problem(window)):
        found.append(problem)
    return found


def _languages(config: dict[str, Any]) -> list[str]:
    languages = config.get("languages", list(KioskConfig.languages))
    if (
        not isinstance(languages, list)
        or not languages
        or any(lang not in LANGUAGES for lang in languages)
    ):
        return [f"'languages' must be a non-empty list of {', '.join(LANGUAGES)}."]
    default = config.get("default_language", KioskConfig.default_language)
    if default not in languages:
        return ["The default language must be one of the site's languages."]
    return []


def _spans(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{where}: give opening times as a list of [opens, closes]."]
    found = []
    for span in value:
        if (
            not isinstance(span, list)
            or len(span) != 2
            or not all(isinstance(t, str) and TIME.match(t) for t in span)
        ):
            found.append(f"{where}: times are like 08:00–16:00.")
        elif span[0] >= span[1]:
            found.append(f"{where}: {span[0]}–{span[1]} closes before it opens.")
    return found


def opening_problems(hours: Any, exceptions: Any) -> list[str]:
    found: list[str] = []
    if hours is not None:
        if not isinstance(hours, dict) or any(day not in DAYS for day in hours):
            found.append(f"'opening_hours' maps days ({', '.join(DAYS)}) to opening times.")
        else:
            for day, spans in hours.items():
                found += _spans(spans, day)
    if exceptions is not None:
        if not isinstance(exceptions, list) or len(exceptions) > MAX_EXCEPTIONS:
            return [*found, f"'opening_exceptions' is a list of at most {MAX_EXCEPTIONS} days."]
        for item in exceptions:
            day = item.get("date") if isinstance(item, dict) else None
            try:
                date.fromisoformat(str(day))
            except ValueError:
                found.append(f"Exception '{day}': give the day like 2026-12-24.")
                continue
            if not item.get("closed"):
                found += _spans(item.get("hours"), str(day))
    return found


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The change as lines of a unified diff of the pretty-printed settings."""
    old = json.dumps(before, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    new = json.dumps(after, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return list(difflib.unified_diff(old, new, "saved", "proposed", lineterm="", n=2))
