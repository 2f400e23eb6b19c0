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
from pathlib import Path

VERSION = "0.1.0"

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
