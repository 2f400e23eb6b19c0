"""What the UI runs with: the config document from state.db over central's defaults,
plus the few local options a technician sets on the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.kiosk_config import DEFAULTS, merge_patch
from kiosk.store import StateStore


def kiosk_config(store: StateStore) -> dict[str, Any]:
    """The synced config document, or central's defaults before the first sync."""
    row = store.db.execute("SELECT document FROM config WHERE id = 1").fetchone()
    return merge_patch(DEFAULTS, json.loads(row[0]) if row else {})


@dataclass
class UiSettings:
    state_dir: Path
    fullscreen: bool = True
    speech_wav_dir: Path | None = None  # speech to files instead of the sound card
    devices: dict[str, str] | None = None  # overrides the config's `devices` section
    scratch_dir: Path | None = None  # citizens' session files; the unit puts them in RAM

    @property
    def scratch_root(self) -> Path:
        return self.scratch_dir or self.state_dir / "scratch"
