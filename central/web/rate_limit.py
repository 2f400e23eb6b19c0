"""Counted limits for anonymous pages (the web booking): so many per address or per
e-mail in a window, shared by every central process through the database.

The counters live in the login throttle's table under their own `rate:` keys, counted
by one atomic upsert each (as login attempts are), and are dropped a day after their
last use with the rest of that table. Keys hold a hash of the address or e-mail,
never the value.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.db.models import LoginThrottle


def key_for(kind: str, value: str) -> str:
    return f"rate:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


def allow(db: Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one use of `key`; False once more than `limit` in the current window (the
    window starts at the first use after the previous one ran out). The caller commits."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expired = LoginThrottle.locked_until < now
    statement = (
        insert(LoginThrottle)
        .values(key=key, failures=1, last_failure_at=now, locked_until=now + window)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                "locked_until": case((expired, now + window), else_=LoginThrottle.locked_until),
                "last_failure_at": now,
            },
        )
        .returning(LoginThrottle.failures)
    )
    used = db.execute(statement).scalar_one()
    return bool(used <= limit)
