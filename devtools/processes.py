"""Stopping the daemons a dev tool started: politely, then firmly."""

from __future__ import annotations

import subprocess
from typing import Any


def stop_all(processes: list[subprocess.Popen[Any]]) -> None:
    """SIGTERM to all (last started first), up to 10 s each to go, then SIGKILL."""
    for proc in reversed(processes):
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
