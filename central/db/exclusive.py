"""One holder at a time across every central instance and worker, for a named piece of
work, with a lock that goes away with its holder.

PostgreSQL: a session-level advisory lock on a connection of its own, held while the
work runs; a process killed with -9 drops its connection and so its lock at once.
SQLite (one host): an flock on a file beside the database, which the kernel lets go
when the process dies. Neither ever waits: a lock someone holds is somebody else's turn.
"""

from __future__ import annotations

import fcntl
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

_IN_MEMORY: dict[str, threading.Lock] = {}
_IN_MEMORY_GUARD = threading.Lock()


def _lock_file(engine: Engine, name: str) -> Path | None:
    """Beside an SQLite database file; None for PostgreSQL or an in-memory database."""
    database = engine.url.database
    if engine.dialect.name == "postgresql" or not database or database == ":memory:":
        return None
    return Path(f"{database}.{name}.job")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, in a range of our own."""
    return (0x5056 << 32) | zlib.crc32(name.encode())


@contextmanager
def held(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True while this process holds `name`, False when another holder has it."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name) as got:
            yield got
        return
    if (path := _lock_file(engine, name)) is not None:
        with _flock(path) as got:
            yield got
        return
    with _IN_MEMORY_GUARD:
        lock = _IN_MEMORY.setdefault(name, threading.Lock())
    got = lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            lock.release()


@contextmanager
def waited_for(engine: Engine, name: str, timeout_s: float = 300.0) -> Iterator[None]:
    """Holds `name`, waiting for it up to `timeout_s`: for work every instance must see
    done before it goes on (the schema's migration when several start at once)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_s * 1000)}ms'"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(name)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                conn.commit()
        return
    path = _lock_file(engine, name)
    if path is None:
        yield
        return
    with path.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[bool]:
    key = lock_key(name)
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
                except Exception:  # noqa: BLE001 - a lost connection took the lock with it
                    conn.invalidate()


@contextmanager
def _flock(path: Path) -> Iterator[bool]:
    with path.open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
