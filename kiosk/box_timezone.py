"""The box's own time zone follows its site's (issue 33): logs, the journal and any
program reading local time agree with what the citizen sees (kiosk/site_time.py).

The root file system is read-only, so timedated cannot replace /etc/localtime; the
image makes /etc/localtime a link to `<state dir>/localtime`, and the agent (which
owns the state directory) points that link at the site's zone. glibc reads the zone
through both links; programs started afterwards use it, and running ones at their
next restart (the kiosk's own screens use the site's zone from its configuration).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("kiosk.agent")

ZONEINFO = Path("/usr/share/zoneinfo")
LINK = "localtime"


def current(state_dir: Path) -> str | None:
    """The zone the link names now (None: no link yet)."""
    try:
        target = os.readlink(state_dir / LINK)
    except OSError:
        return None
    return os.path.relpath(target, ZONEINFO) if target.startswith(str(ZONEINFO)) else None


def apply(state_dir: Path, zone: str, zoneinfo: Path = ZONEINFO) -> bool:
    """Point the link at `zone`; True when it changed. A zone the box's tz database does
    not have (or a path trick) changes nothing and is logged."""
    target = (zoneinfo / zone).resolve()
    if not zone or ".." in zone or not target.is_file() or zoneinfo.resolve() not in target.parents:
        log.warning("the site's time zone %r is not in %s: the box keeps its own", zone, zoneinfo)
        return False
    link = state_dir / LINK
    wanted = str(zoneinfo / zone)
    try:
        if os.readlink(link) == wanted:
            return False
    except OSError:
        pass
    temporary = state_dir / f".{LINK}.new"
    temporary.unlink(missing_ok=True)
    os.symlink(wanted, temporary)
    os.replace(temporary, link)  # atomic: the link is never missing
    log.info("the box's time zone is now %s (its site's)", zone)
    return True
