"""The few local options of the UI that a technician sets on the command line.

The kiosk's configuration from central is kiosk/config.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
