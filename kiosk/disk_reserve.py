"""Space set aside on the state partition while there is plenty, given back the moment
it fills: state.db can then still open, so the UI comes up and the agent reports the
full disk instead of both crashing at start (seen booting the image with its state
partition filled: "disk I/O error" opening state.db, restart after restart).

The agent sets the reserve aside (kiosk-agent run --space-reserve-mb; the image's unit
asks for 64 MB); whoever opens state.db gives it back when the partition is nearly full
(StateStore does, before it opens the file). Nothing else ever writes to it.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger("kiosk.disk")

RESERVE_NAME = ".space-reserve"
GIVE_BACK_BELOW_MB = 16  # free space under which the reserve is given back
MIB = 1024 * 1024


def free_mb(directory: Path) -> int:
    return shutil.disk_usage(directory).free // MIB


def give_back_if_full(directory: Path, below_mb: int | None = None) -> bool:
    """Delete the reserve when the partition is nearly full; True if it was."""
    reserve = directory / RESERVE_NAME
    below_mb = GIVE_BACK_BELOW_MB if below_mb is None else below_mb
    try:
        if not reserve.exists() or free_mb(directory) >= below_mb:
            return False
        reserve.unlink()
    except OSError as exc:
        log.error("could not give back the space reserve %s: %s", reserve, exc)
        return False
    log.warning(
        "state partition full: gave back the %s; %d MB free now", RESERVE_NAME, free_mb(directory)
    )
    return True


def set_aside_if_room(directory: Path, size_mb: int) -> bool:
    """Make the reserve when there is none and the partition has room for it several
    times over (a reserve just given back is not taken again until space is freed)."""
    reserve = directory / RESERVE_NAME
    if size_mb <= 0 or reserve.exists():
        return False
    try:
        if free_mb(directory) < 4 * size_mb + GIVE_BACK_BELOW_MB:
            return False
        fd = os.open(reserve, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, size_mb * MIB)
        finally:
            os.close(fd)
    except FileExistsError:
        return False
    except OSError as exc:
        log.warning("could not set aside %d MB on %s: %s", size_mb, directory, exc)
        reserve.unlink(missing_ok=True)
        return False
    return True
