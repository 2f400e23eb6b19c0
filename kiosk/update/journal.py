"""The updater's journal: where an update stands, written before and after every step.

One small JSON file, replaced atomically (write, fsync, rename, fsync the directory), so
a kill or a power cut at any moment leaves either the old or the new journal, never a
torn one. The updater reads it first on every start and carries on from there; the boot
oneshot reads it to revert a release that was never committed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


class Phase:
    """What the journal stores; kiosk/update/phases.py reads the finer phases from it."""

    IDLE = "idle"  # nothing switched: committed is what runs
    SWITCHED = "switched"  # `trying` runs under the health gate, not yet committed


@dataclass
class UpdateJournal:
    committed: str | None = None
    phase: str = Phase.IDLE
    trying: str | None = None
    previous: str | None = None
    deployment: str | None = None
    gate_started: float | None = None
    gate_deadline: float | None = None
    stable_since: float | None = None
    ui_since: str | None = None
    faults_before: int = 0
    snapshot: str | None = None
    # How the last update here ended: "committed", "rolled_back", or None (none has).
    outcome: str | None = None
    # Set before the units are stopped, cleared once they are started: a kill in between
    # must not leave the kiosk with nothing running.
    units_stopped: bool = False
    # Releases rolled back on this kiosk, with why: never tried again automatically.
    rolled_back: dict[str, str] = field(default_factory=dict)
    # The last rollback's times: when the gate's deadline passed and when the old
    # release was running again (the promise: within 60 s).
    last_rollback: dict[str, float] = field(default_factory=dict)

    def reset_gate(self) -> None:
        """The health gate's clock, cleared whenever a gate starts or ends."""
        self.gate_started = self.gate_deadline = self.stable_since = None
        self.ui_since = None

    @classmethod
    def load(cls, path: Path) -> UpdateJournal:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w") as f:
            json.dump(asdict(self), f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        partial.replace(path)
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """A rename is durable only once its directory is on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
