"""Heartbeats: the hottest path of central (10,000 kiosks every 30 s).

All database work is Core statements built once, in one transaction: each
extra thread hop, ORM load or statement construction showed up as a large
share of a heartbeat's cost (bench/central_load.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse

from central.access.policy import Device
from central.access.security import token_hash
from central.db.models import Kiosk, Site
from central.db.types import UTCDateTime, utcnow
from central.fleet import commands
from central.fleet.fleet_status import condition_of
from central.updates import deployments

# Built once: constructing statements per request was a third of a heartbeat's cost.
_HEALTH = {
    "last_seen": bindparam("now", type_=UTCDateTime()),
    "software_version": bindparam("v_software_version"),
    "config_version": bindparam("v_config_version"),
    "outbox_depth": bindparam("v_outbox_depth"),
    "dropped_events": bindparam("v_dropped_events"),
    "health": bindparam("v_health", type_=JSON()),
    "condition": bindparam("v_condition"),
}
# Never a parameter named like a column ("kiosk_id"): in _BEAT_PG, SQLAlchemy would take
# it as a value to SET in the commands' UPDATE.
_RECORD_HEALTH = update(Kiosk).where(Kiosk.id == bindparam("for_kiosk")).values(**_HEALTH)
_SITE_CONFIG_VERSION = select(Site.config_version).where(Site.id == bindparam("site_id"))


def _one_round_trip() -> Any:
    """PostgreSQL: the whole heartbeat as one statement. The token is checked by the
    health's UPDATE itself (as device_for_token checks it: current, or the previous one
    within its grace, unexpired, not retired); the commands are handed out in a second
    data-modifying CTE; the site's config version and the wanted release are read beside
    them; the commit is told not to wait for the disk. Round trips were where a
    heartbeat's time went: nine became three (pool ping, BEGIN, this) and COMMIT."""
    now = bindparam("now", type_=UTCDateTime())
    token: BindParameter[str] = bindparam("token_hash")
    beat = (
        update(Kiosk)
        .where(
            Kiosk.retired_at.is_(None),
            (Kiosk.device_token_hash == token)
            | ((Kiosk.previous_token_hash == token) & (Kiosk.previous_token_until > now)),
            Kiosk.device_token_expires_at.is_(None) | (Kiosk.device_token_expires_at > now),
        )
        .values(**_HEALTH)
        .returning(Kiosk.id, Kiosk.site_id, Kiosk.org_id, Kiosk.device_token_expires_at)
        .cte("beat")
    )
    this_kiosk = select(beat.c.id).scalar_subquery()

    def of_this_kiosk(statement: ExternallyTraversible) -> Any:
        """`statement` with its `for_kiosk` parameter read from the beat instead."""

        def swap(element: Any, **_: Any) -> Any:
            if isinstance(element, BindParameter) and element.key == "for_kiosk":
                return this_kiosk
            return None

        return cast(Any, replacement_traverse(statement, {}, swap))

    handed = of_this_kiosk(commands.HAND_OUT).cte("handed")
    handed_json = select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object(
                        "id", handed.c.id, "type", handed.c.type, "args", handed.c.args
                    ),
                    handed.c.created_at,
                )
            ),
            text("'[]'::json"),
        )
    ).scalar_subquery()
    wanted = of_this_kiosk(deployments.WANTED).subquery("wanted")
    wanted_json = select(
        func.json_build_array(*(wanted.c[name] for name in wanted.c.keys()))
    ).scalar_subquery()
    config_version = select(Site.config_version).where(Site.id == beat.c.site_id)
    return select(
        beat.c.id,
        beat.c.site_id,
        beat.c.org_id,
        beat.c.device_token_expires_at,
        config_version.scalar_subquery().label("config_version"),
        handed_json.label("commands"),
        wanted_json.label("wanted"),
        func.set_config("synchronous_commit", "off", True).label("no_fsync_wait"),
    ).select_from(beat)


_BEAT_PG = _one_round_trip()


def _values(health: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "now": now,
        "v_software_version": health.get("software_version"),
        "v_config_version": health.get("config_version"),
        "v_outbox_depth": health.get("outbox_depth", 0),
        "v_dropped_events": health.get("dropped_events", 0),
        "v_health": {**health, "received_at": now.isoformat()},
        "v_condition": condition_of(health, health.get("outbox_depth", 0)),
    }


def record_by_token(
    db: Session, token: str, health: dict[str, Any], release_url: str = ""
) -> tuple[Device, dict[str, Any]] | None:
    """PostgreSQL's heartbeat: the kiosk whose device token this is, and the answer; None
    when the token is not a valid one (then device_for_token says why)."""
    conn = db.connection()
    now = utcnow()
    # Liveness data: losing the last instant of heartbeats in a database crash is
    # harmless, so the commit need not wait for the disk (set_config in _BEAT_PG).
    row = conn.execute(_BEAT_PG, {**_values(health, now), "token_hash": token_hash(token)})
    beat = row.first()
    if beat is None:
        db.rollback()
        return None
    device = Device(beat.id, beat.site_id, beat.org_id, beat.device_token_expires_at)
    handed_out = [{**c, "args": c["args"] or {}} for c in beat.commands]
    release, moved = deployments.follow_report(
        conn, device.kiosk_id, beat.wanted, health, now, release_url
    )
    return device, _answered(db, beat.config_version, handed_out, release, moved, now)


def record_heartbeat(
    db: Session, device: Device, health: dict[str, Any], release_url: str = ""
) -> dict[str, Any]:
    """Store the kiosk's health, hand out its pending commands and the release a
    deployment wants there; one transaction (a deployment that a changed state may move
    on is evaluated after it, which is rare)."""
    conn = db.connection()  # Core on the session's connection: no ORM bookkeeping
    now = utcnow()
    conn.execute(_RECORD_HEALTH, {**_values(health, now), "for_kiosk": device.kiosk_id})
    config_version = conn.execute(_SITE_CONFIG_VERSION, {"site_id": device.site_id}).scalar()
    handed_out = commands.hand_out(conn, device.kiosk_id, now)
    release, moved = deployments.heartbeat(conn, device.kiosk_id, health, now, release_url)
    return _answered(db, config_version, handed_out, release, moved, now)


def _answered(
    db: Session,
    config_version: int | None,
    handed_out: list[dict[str, Any]],
    release: dict[str, Any] | None,
    moved: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Commits, then moves on a deployment this heartbeat's report changed (rare)."""
    db.commit()
    if moved:
        deployments.evaluate_by_id(db, moved)
    return {
        "commands": handed_out,
        "config_version": config_version,
        "server_time": now.isoformat(),
        "release": release,
    }


def rotate_after(device: Device, ttl_s: int) -> datetime:
    """When the kiosk should rotate its token: half way through its life."""
    if device.token_expires_at is None:
        return utcnow()
    return device.token_expires_at - timedelta(seconds=ttl_s / 2)
