"""Access to call rooms that Janus could not take back when it should have (it was
down or slow): tried again every few seconds until Janus confirms.

Two kinds: rooms of ended calls (`lifecycle.close_left_rooms`) and tokens of
parties who left an active call (`parties.revoke_left`). Until then a departed
party's token may still open Janus, so this runs often, and each pass stops at
the first failure (the next pass is the backoff).
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from central.background import Every
from central.calls import lifecycle, parties
from central.calls.media_pool import JanusRooms
from central.db.engine import session_scope
from central.settings import Settings


def pass_once(sessions: sessionmaker[Session], rooms: JanusRooms) -> None:
    if not rooms.configured:
        return
    with session_scope(sessions) as db:
        parties.revoke_left(db, rooms)
    with session_scope(sessions) as db:
        lifecycle.close_left_rooms(db, rooms)


def runner(sessions: sessionmaker[Session], rooms: JanusRooms, settings: Settings) -> Every:
    return Every(
        "media-cleanup",
        settings.media_cleanup_every_s,
        lambda: pass_once(sessions, rooms),
        sessions=sessions,
        instance=settings.instance_name,
    )
