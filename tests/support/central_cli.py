"""central's command line, run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CENTRAL = [sys.executable, "-m", "central.cli"]


def run_cli(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CENTRAL, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd
    )
