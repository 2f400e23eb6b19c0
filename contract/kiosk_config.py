"""The configuration document a kiosk runs with: defaults merged with its site's settings."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

DEFAULTS: dict[str, Any] = {
    "languages": ["fi", "sv", "en"],
    "default_language": "fi",
    "idle_timeout_s": 60,
    "idle_warning_s": 20,
    "heartbeat_interval_s": 30,
    "sync_interval_s": 300,
    "maintenance": False,
    "ticket_printing": True,
    "scanning": True,
    "remote_calls": True,
    "devices": {"printer": "sim", "scanner": "sim", "camera": "sim", "card_reader": "sim"},
}


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


def kiosk_document(site_config: dict[str, Any], version: int) -> dict[str, Any]:
    document = merge_patch(DEFAULTS, site_config)
    document["version"] = version
    return document


def etag(document: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:24]
    return f'"{digest}"'
