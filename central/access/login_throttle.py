"""Throttling of password guesses: atomic counters per account, per address and per both.

Every attempt is counted *before* its password is checked, with one atomic
upsert per key, so parallel guesses cannot slip past the limit: the first
`free` attempts go ahead, and past them exactly one attempt at a time may
claim the next try by setting the lock in the same statement that checks it.
A right password takes its own attempt back.

The pair key (one account from one address) locks first, so an attacker
who locks themselves out does not lock out the account's owner elsewhere;
the account key catches guesses spread over many addresses, with a higher
limit; an admin can clear any of them (`DELETE /auth/login-locks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.db.engine import changed
from central.db.models import LoginThrottle
from central.db.types import utcnow
from central.settings import Settings


@dataclass(frozen=True)
class Key:
    name: str
    free: int


def keys_for(email: str, address: str, settings: Settings) -> list[Key]:
    return [
        Key(f"pair:{email}|{address}", settings.login_free_failures),
        Key(f"addr:{address}", settings.login_free_failures_per_address),
        Key(f"acct:{email}", settings.login_free_failures_per_account),
    ]


def _lock_s(failures: int, free: int, settings: Settings) -> int:
    return min(
        settings.login_lock_base_s * 2 ** max(0, failures - free - 1), settings.login_lock_max_s
    )


def _count_attempt(db: Session, key: str, now: datetime) -> tuple[int, datetime | None]:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(LoginThrottle)
        .values(key=key, failures=1, last_failure_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
        )
        .returning(LoginThrottle.failures, LoginThrottle.locked_until)
    )
    failures, locked_until = db.execute(statement).one()
    return failures, locked_until


def _claim_try(db: Session, key: str, lock_s: int, now: datetime) -> bool:
    """Past the free attempts, once a lock has run out: take the one try, locking the next.

    No lock yet means the free attempts are still being checked: wait for them.
    """
    claimed = changed(
        db,
        update(LoginThrottle)
        .where(
            LoginThrottle.key == key,
            LoginThrottle.locked_until.is_not(None),
            LoginThrottle.locked_until <= now,
        )
        .values(locked_until=now + timedelta(seconds=lock_s)),
    )
    return claimed == 1


def reserve_attempt(db: Session, keys: list[Key], settings: Settings) -> int:
    """Count this attempt on every key; 0 if it may go ahead, else seconds to wait.

    The caller commits, so the counts are visible before the slow password check.
    """
    now = utcnow()
    db.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - timedelta(days=1)))
    wait = 0
    for key in keys:
        failures, locked_until = _count_attempt(db, key.name, now)
        if failures <= key.free:
            continue
        if not _claim_try(db, key.name, _lock_s(failures, key.free, settings), now):
            until = locked_until or now + timedelta(seconds=settings.login_lock_base_s)
            wait = max(wait, int((until - now).total_seconds() + 0.999), 1)
    if wait:
        # A refused attempt checked no password, so it is no guess: it must not
        # push the account's own counter towards a lock that would keep its owner out.
        _uncount(db, keys)
    return wait


def _uncount(db: Session, keys: list[Key]) -> None:
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_([k.name for k in keys]), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def record_failure(db: Session, keys: list[Key], settings: Settings) -> None:
    """A wrong password: a key that has used its free attempts is locked, doubling each time."""
    now = utcnow()
    for key in keys:
        row = db.get(LoginThrottle, key.name)
        if row is not None and row.failures >= key.free:
            lock = _lock_s(row.failures, key.free, settings)
            row.locked_until = now + timedelta(seconds=lock)


def forgive_attempt(db: Session, keys: list[Key]) -> None:
    """A right password: the account's counters start over; the address's loses this try."""
    _uncount(db, [k for k in keys if k.name.startswith("addr:")])
    owned = [k.name for k in keys if not k.name.startswith("addr:")]
    db.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(owned)))


def clear(db: Session, email: str | None, address: str | None) -> int:
    """Remove the locks of an account (all its keys) or an address; how many were removed."""
    removed = 0
    column = LoginThrottle.key
    if email:
        removed += changed(
            db,
            delete(LoginThrottle).where(
                (column == f"acct:{email}") | column.startswith(f"pair:{email}|", autoescape=True)
            ),
        )
    if address:
        removed += changed(
            db,
            delete(LoginThrottle).where(
                (column == f"addr:{address}") | column.endswith(f"|{address}", autoescape=True)
            ),
        )
    return removed
