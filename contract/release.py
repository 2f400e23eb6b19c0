"""The release this code is, and the release bundle's shape both sides rely on.

VERSION is the one place a version is written: pyproject.toml reads it (setuptools'
dynamic version), the agent reports it in every heartbeat, the UI in `ui.alive`, and
`central release build` writes it into a bundle's manifest, so a release can never
call itself two things. The rest is what central's builder (central/updates/bundle.py)
and the kiosk's installer (kiosk/update/) must agree on.
"""

from __future__ import annotations

import hashlib
import sys
from enum import StrEnum
from pathlib import Path

VERSION = "0.1.0"


class RolloutState(StrEnum):
    """A kiosk's place in a deployment, as its updater reports it and central lists it."""

    PENDING = "pending"  # central's own: not yet told, or not yet answered
    DOWNLOADING = "downloading"
    INSTALLED = "installed"
    SWITCHING = "switching"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"  # refused before anything was switched (signature, space, clock)


FINAL_ROLLOUT = frozenset({RolloutState.COMMITTED, RolloutState.ROLLED_BACK, RolloutState.FAILED})
FAILED_ROLLOUT = frozenset({RolloutState.ROLLED_BACK, RolloutState.FAILED})

# Inside every bundle: the version, Python tag, CPU, state.db schema and each file's
# length and SHA-256.
MANIFEST = "manifest.json"


def bundle_name(version: str, base: str | None = None) -> str:
    """`palvelupiste-V.tar`, or `palvelupiste-V-from-U.tar` for a delta from release U."""
    return f"palvelupiste-{version}-from-{base}.tar" if base else f"palvelupiste-{version}.tar"


def python_tag() -> str:
    """The interpreter a bundle's wheels are built for, as its manifest names it."""
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
