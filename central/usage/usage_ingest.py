"""Usage events ("suoritteet") from kiosks: each checked alone, stored once.

One bad event is rejected alone, with its reason, and the rest of the batch
is stored, so a kiosk's outbox is never stuck behind one event.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from central.access.policy import Device
from central.db.models import UsageEvent
from central.db.types import utcnow
from central.errors import ApiError
from central.usage import usage_daily
from contract import events
from contract.json_values import printable

log = logging.getLogger("central")


def _insert_ignoring_duplicates(
    db: Session, rows: list[dict[str, Any]]
) -> tuple[set[str], list[dict[str, str]]]:
    """Insert the batch: (ids really stored, refusals). If the database refuses the batch,
    each row alone, so one bad row fails alone. A row a concurrent upload stored first is
    neither: it is counted once, by that upload.

    Validation should leave nothing for the database to refuse; this is the
    second line, so that a kiosk's outbox is never stuck behind one event.
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(UsageEvent).on_conflict_do_nothing(index_elements=["id"]).returning(UsageEvent.id)
    )
    if dialect != "postgresql":
        # SQLite enforces no lengths, and pysqlite's savepoints are unreliable (SQLAlchemy docs).
        return set(db.execute(statement, rows).scalars()), []
    try:
        with db.begin_nested():
            return set(db.execute(statement, rows).scalars()), []
    except DBAPIError:
        pass
    stored: set[str] = set()
    refused = []
    for row in rows:
        try:
            with db.begin_nested():
                stored.update(db.execute(statement, [row]).scalars())
        except DBAPIError as exc:
            log.warning("usage event %s refused by the database: %s", row["id"], exc.orig)
            refused.append({"id": row["id"], "error": "the event could not be stored"})
    return stored, refused


def ingest(db: Session, device: Device, raw_events: list[Any]) -> dict[str, Any]:
    """{accepted, duplicates, rejected} for one uploaded batch."""
    if len(raw_events) > events.MAX_BATCH:
        raise ApiError(
            413, "too_large", f"Send at most {events.MAX_BATCH} events a request; split the batch."
        )
    now = utcnow()
    valid: dict[str, events.ValidEvent] = {}
    rejected: list[dict[str, str]] = []
    duplicates: list[str] = []
    for raw in raw_events:
        try:
            event = events.validate(raw, now)
        except events.InvalidEvent as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            rejected.append(
                {"id": printable(str(raw_id)) if raw_id is not None else "", "error": str(exc)}
            )
            continue
        if event.id in valid:
            duplicates.append(event.id)
        else:
            valid[event.id] = event
    if valid:
        known = set(db.scalars(select(UsageEvent.id).where(UsageEvent.id.in_(list(valid)))))
        duplicates.extend(i for i in valid if i in known)
        fresh = [e for i, e in valid.items() if i not in known]
        if fresh:
            rows = [
                {
                    "id": e.id,
                    "kiosk_id": device.kiosk_id,
                    "site_id": device.site_id,
                    "org_id": device.org_id,
                    "type": e.type,
                    "at": e.at,
                    "local_day": e.local_day,
                    "session_id": e.session_id,
                    "service_id": e.service_id,
                    "data": e.data,
                    "received_at": now,
                }
                for e in fresh
            ]
            stored, refused = _insert_ignoring_duplicates(db, rows)
            usage_daily.add(db, (row for row in rows if row["id"] in stored))
            rejected.extend(refused)
            fresh = [e for e in fresh if e.id not in {r["id"] for r in refused}]
        db.commit()
        accepted = [e.id for e in fresh]
    else:
        accepted = []
    return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}
