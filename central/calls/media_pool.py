"""The pool of media servers: which Janus each call's room is on, placing new rooms on
the least loaded Janus that answers, and moving the rooms of a Janus that stopped
answering to the others.

Every central instance reads the pool from its settings (`janus_servers`, or the single
`janus_url`); what the pool knows at run time is in the database, so all instances see
the same: a call's `media_server` and `media_epoch` (raised each time its room moves),
and each server's last checked state (`media_servers`). One instance at a time checks
the servers each `media_check_every_s` (central/background.py): a Janus failing two
checks in a row is out, its active calls' rooms are opened on the least loaded living
one, and the kiosk and the desk, told by their next poll (the join's `media_server` and
`media_epoch`), connect again there.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from central.background import Every
from central.calls.media_server import JanusServer, MediaServer, MediaServerError
from central.db.engine import session_scope
from central.db.models import Call, MediaServerState
from central.db.types import utcnow
from central.settings import Settings
from contract.call_api import CallStatus

log = logging.getLogger("central")

FAILURES_BEFORE_OUT = 2


def servers_of(settings: Settings) -> list[MediaServer]:
    """`janus_servers` (a JSON list), each field defaulting to the single-server
    settings; or the single server of `janus_url`; or none."""

    def turn(value: Any) -> tuple[str, ...]:
        text = ",".join(value) if isinstance(value, list) else str(value or "")
        return tuple(u.strip() for u in text.split(",") if u.strip())

    if settings.janus_servers:
        listed = json.loads(settings.janus_servers)
        return [
            MediaServer(
                name=str(item.get("name") or f"janus{n + 1}"),
                url=str(item["url"]),
                admin_url=str(item.get("admin_url") or settings.janus_admin_url),
                admin_secret=str(item.get("admin_secret") or settings.janus_admin_secret),
                room_admin_key=str(item.get("room_admin_key") or settings.janus_room_admin_key),
                turn_urls=turn(item.get("turn_urls", settings.turn_urls)),
                turn_secret=str(item.get("turn_secret") or settings.turn_secret),
            )
            for n, item in enumerate(listed)
        ]
    if settings.janus_url and settings.janus_admin_url:
        return [
            MediaServer(
                name="janus1",
                url=settings.janus_url,
                admin_url=settings.janus_admin_url,
                admin_secret=settings.janus_admin_secret,
                room_admin_key=settings.janus_room_admin_key,
                turn_urls=turn(settings.turn_urls),
                turn_secret=settings.turn_secret,
            )
        ]
    return []


class JanusRooms:
    """Each call's room on its own Janus of the pool."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.secret = secret
        self.servers = {s.name: JanusServer(s, secret) for s in servers_of(settings)}

    @property
    def configured(self) -> bool:
        return bool(self.servers)

    def server_of(self, call: Call) -> JanusServer:
        """The call's Janus (the first of the pool for a call placed before there was one)."""
        found = self.servers.get(call.media_server or "")
        if found is not None:
            return found
        if not self.servers:
            raise MediaServerError("no media server is configured")
        return next(iter(self.servers.values()))

    def open_room(self, call: Call, tokens: list[str]) -> None:
        self.server_of(call).open_room(str(call.room), tokens)

    def close_room(self, call: Call, tokens: list[str]) -> None:
        self.server_of(call).close_room(str(call.room), tokens)

    def let_in(self, call: Call, token: str) -> None:
        self.server_of(call).let_in(str(call.room), token)

    def send_away(self, call: Call, token: str) -> None:
        self.server_of(call).send_away(str(call.room), token)

    def place(self, db: Session) -> str:
        """The least loaded Janus that is not out (by active calls; ties in the pool's order)."""
        out = set(db.scalars(select(MediaServerState.name).where(MediaServerState.up.is_(False))))
        load = dict(
            db.execute(
                select(Call.media_server, func.count())
                .where(Call.status == CallStatus.ACTIVE)
                .group_by(Call.media_server)
            ).all()
        )
        living = [name for name in self.servers if name not in out]
        if not living:
            raise MediaServerError("no media server answers")
        return min(living, key=lambda name: (load.get(name, 0), list(self.servers).index(name)))


def check(db: Session, rooms: JanusRooms, room_tokens: Any) -> list[str]:
    """One round of checks; moves the rooms off a Janus that is out. Returns the ids of
    the calls moved. `room_tokens(db, call)`: every token of the call (lifecycle.tokens)."""
    now = utcnow()
    states = {s.name: s for s in db.scalars(select(MediaServerState))}
    for name, server in rooms.servers.items():
        state = states.get(name)
        if state is None:
            state = MediaServerState(name=name, up=True, failures=0, checked_at=now)
            db.add(state)
            states[name] = state
        if server.answers():
            if not state.up:
                log.info("media server %s answers again: new calls may go there", name)
            state.up, state.failures = True, 0
        else:
            state.failures += 1
            if state.up and state.failures >= FAILURES_BEFORE_OUT:
                log.warning("media server %s does not answer: taken out of the pool", name)
                state.up = False
        state.checked_at = now
    db.commit()
    moved: list[str] = []
    for name, state in states.items():
        if state.up or name not in rooms.servers:
            continue
        for call in db.scalars(
            select(Call).where(Call.status == CallStatus.ACTIVE, Call.media_server == name)
        ).all():
            try:
                target = rooms.place(db)
                call.media_server = target
                rooms.open_room(call, room_tokens(db, call))
            except MediaServerError as exc:
                db.rollback()
                log.warning("moving call %s off %s failed, trying again: %s", call.id, name, exc)
                return moved
            call.media_epoch += 1
            db.commit()
            moved.append(call.id)
            log.info("call %s moved from media server %s to %s", call.id, name, target)
    return moved


def runner(sessions: sessionmaker[Session], rooms: JanusRooms, settings: Settings) -> Every | None:
    """None for a pool of one or none: it has nowhere to move rooms to."""
    from central.calls.lifecycle import tokens

    if len(rooms.servers) < 2:
        return None

    def once() -> None:
        with session_scope(sessions) as db:
            check(db, rooms, lambda db_, call: tokens(db_, rooms.secret, call))

    return Every(
        "media-pool",
        settings.media_check_every_s,
        once,
        sessions=sessions,
        instance=settings.instance_name,
    )
