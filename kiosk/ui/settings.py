"""What the UI runs with: the config document from state.db over central's defaults,
plus the few local options a technician sets on the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central.kiosk_config import DEFAULTS, merge_patch
from kiosk.store import StateStore


def kiosk_config(store: StateStore) -> dict[str, Any]:
    """The synced config document, or central's defaults before the first sync."""
    row = store.db.execute("SELECT document FROM config WHERE id = 1").fetchone()
    return merge_patch(DEFAULTS, json.loads(row[0]) if row else {})


@dataclass
class UiSettings:
    state_dir: Path
    fullscreen: bool = True
    size: tuple[int, int] = (1280, 800)
    speech_wav_dir: Path | None = None  # speech to files instead of the sound card
    devices: dict[str, str] | None = None  # overrides the config's `devices` section
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scratch_root(self) -> Path:
        return self.state_dir / "scratch"
