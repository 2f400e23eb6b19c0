"""Heartbeats: the hottest path of central (10,000 kiosks every 30 s).

All database work is Core statements built once, in one transaction: each
extra thread hop, ORM load or statement construction showed up as a large
share of a heartbeat's cost (bench/central_load.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, bindparam, select, text, update
from sqlalchemy.orm import Session

from central.access.policy import Device
from central.db.models import Kiosk, Site
from central.db.types import UTCDateTime, utcnow
from central.fleet import commands
from central.fleet.fleet_status import condition_of
from central.updates import deployments

# Built once: constructing statements per request was a third of a heartbeat's cost.
_RECORD_HEALTH = (
    update(Kiosk)
    .where(Kiosk.id == bindparam("kiosk_id"))
    .values(
        last_seen=bindparam("now", type_=UTCDateTime()),
        software_version=bindparam("v_software_version"),
        config_version=bindparam("v_config_version"),
        outbox_depth=bindparam("v_outbox_depth"),
        dropped_events=bindparam("v_dropped_events"),
        health=bindparam("v_health", type_=JSON()),
        condition=bindparam("v_condition"),
    )
)
_SITE_CONFIG_VERSION = select(Site.config_version).where(Site.id == bindparam("site_id"))
_NO_FSYNC_WAIT = text("SET LOCAL synchronous_commit TO OFF")


def record_heartbeat(
    db: Session, device: Device, health: dict[str, Any], release_url: str = ""
) -> dict[str, Any]:
    """Store the kiosk's health, hand out its pending commands and the release a
    deployment wants there; one transaction (a deployment that a changed state may move
    on is evaluated after it, which is rare)."""
    conn = db.connection()  # Core on the session's connection: no ORM bookkeeping
    if conn.dialect.name == "postgresql":
        # Liveness data: losing the last instant of heartbeats in a database
        # crash is harmless, so the commit need not wait for the disk.
        conn.execute(_NO_FSYNC_WAIT)
    now = utcnow()
    conn.execute(
        _RECORD_HEALTH,
        {
            "kiosk_id": device.kiosk_id,
            "now": now,
            "v_software_version": health.get("software_version"),
            "v_config_version": health.get("config_version"),
            "v_outbox_depth": health.get("outbox_depth", 0),
            "v_dropped_events": health.get("dropped_events", 0),
            "v_health": {**health, "received_at": now.isoformat()},
            "v_condition": condition_of(health, health.get("outbox_depth", 0)),
        },
    )
    config_version = conn.execute(_SITE_CONFIG_VERSION, {"site_id": device.site_id}).scalar()
    handed_out = commands.hand_out(conn, device.kiosk_id, now)
    release, moved = deployments.heartbeat(conn, device.kiosk_id, health, now, release_url)
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
