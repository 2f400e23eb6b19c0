"""Central keeps the release repository's timestamp fresh on its own (TUF's online role):
checked every `update_timestamp_check_s`, re-signed when half its life is gone, so kiosks
never see it expire while central runs, and do see it expire if central stops (a freeze)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from central.background import Every
from central.settings import Settings
from central.updates import keys
from central.updates.repository import ReleaseRepository, refresh_if_due

log = logging.getLogger("central")


def runner(sessions: sessionmaker[Session], settings: Settings) -> Every | None:
    """None when central has no repository or no timestamp key to keep."""
    if not settings.update_repository or not settings.update_keys:
        return None
    repo = ReleaseRepository(Path(settings.update_repository))
    key_file = Path(settings.update_keys) / "timestamp.pem"

    def refresh() -> None:
        version = refresh_if_due(repo, keys.load(key_file))
        if version is not None:
            log.info("release repository: timestamp version %s signed", version)

    # At start too: a central that was down may come back to an expired timestamp.
    return Every(
        "timestamps",
        settings.update_timestamp_check_s,
        refresh,
        at_start=True,
        sessions=sessions,
        instance=settings.instance_name,
    )
