"""Per-site change log behind the kiosks' delta sync of catalogue and bookings.

A change is recorded as the newest row for (site, kind, entity); the row id
is the cursor. A kiosk asks for rows after its cursor and gets the current
state of each entity, or its id under `deleted` when it is gone.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from central.db.models import Booking, ChangeLogEntry, Site
from central.db.types import utcnow
from central.errors import bad_request
from contract.kiosk_api import Delta

SERVICE = "service"
BOOKING = "booking"
TOMBSTONE_RETENTION = timedelta(days=30)
_CHANGE_LOCK = 7_350_001  # any constant, shared by every writer


def _serialise_writers(db: Session) -> None:
    """Make change-log ids commit in order on PostgreSQL.

    Without this, a transaction holding id 10 could commit after one holding
    id 11, and a kiosk that already read 11 would never see 10. SQLite
    serialises writers by itself.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOCK})


def record(db: Session, site_ids: Iterable[str], kind: str, entity_id: str, deleted: bool) -> None:
    site_ids = list(site_ids)
    if not site_ids:
        return
    _serialise_writers(db)
    db.execute(
        delete(ChangeLogEntry).where(
            ChangeLogEntry.site_id.in_(site_ids),
            ChangeLogEntry.kind == kind,
            ChangeLogEntry.entity_id == entity_id,
        )
    )
    db.add_all(
        ChangeLogEntry(site_id=s, kind=kind, entity_id=entity_id, deleted=deleted) for s in site_ids
    )
    db.flush()


def prune(db: Session, site: Site) -> None:
    """Keep the log bounded.

    Deletions older than the retention are forgotten (cursors from before
    then get a full resync), and so are bookings long past, which kiosks
    purge by themselves.
    """
    horizon = utcnow() - TOMBSTONE_RETENTION
    past_bookings = select(Booking.id).where(Booking.site_id == site.id, Booking.ends_at < horizon)
    db.execute(
        delete(ChangeLogEntry).where(
            ChangeLogEntry.site_id == site.id,
            ChangeLogEntry.kind == BOOKING,
            ChangeLogEntry.entity_id.in_(past_bookings),
        )
    )
    newest_old = db.scalar(
        select(func.max(ChangeLogEntry.id)).where(
            ChangeLogEntry.site_id == site.id,
            ChangeLogEntry.deleted.is_(True),
            ChangeLogEntry.at < horizon,
        )
    )
    if newest_old is None:
        return
    db.execute(
        delete(ChangeLogEntry).where(
            ChangeLogEntry.site_id == site.id,
            ChangeLogEntry.deleted.is_(True),
            ChangeLogEntry.id <= newest_old,
        )
    )
    site.pruned_through = max(site.pruned_through, newest_old)


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, number = raw.partition(":")
        position = int(number)
        if version != "v1" or not 0 <= position < 2**63:
            raise ValueError(raw)
        return position
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            "invalid_cursor",
            "The cursor is not one central gave out; sync again without 'since'.",
        ) from exc


def read(
    db: Session,
    site: Site,
    kind: str,
    since: str | None,
    limit: int,
    load: Callable[[Sequence[str]], dict[str, dict[str, Any] | None]],
) -> Delta:
    """One page of changes after `since`.

    `load` turns entity ids into kiosk items; None means "not shown any more"
    (e.g. a booking in the past), which is reported as deleted.
    `reset` is true when the kiosk must replace its copy: on a full sync and
    when its cursor is older than the retained tombstones.
    """
    position = decode_cursor(since) if since else 0
    reset = since is None or position < site.pruned_through
    if reset:
        position = 0
    rows = db.execute(
        select(ChangeLogEntry.id, ChangeLogEntry.entity_id, ChangeLogEntry.deleted)
        .where(
            ChangeLogEntry.site_id == site.id,
            ChangeLogEntry.kind == kind,
            ChangeLogEntry.id > position,
        )
        .order_by(ChangeLogEntry.id)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    live = [r.entity_id for r in rows if not r.deleted]
    loaded = load(live) if live else {}
    items: list[dict[str, Any]] = []
    deleted: list[str] = []
    for row in rows:
        item = None if row.deleted else loaded.get(row.entity_id)
        if item is not None:
            items.append(item)
        elif not reset:
            deleted.append(row.entity_id)
    position = rows[-1].id if rows else max(position, site.pruned_through)
    return Delta(items, deleted, encode_cursor(position), has_more, reset)
