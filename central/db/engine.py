"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

DEFAULT_DATABASE_URL = "sqlite:///central.db"


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form the docs use and pick the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during writes; NORMAL is durable across app crashes
    # and only risks the last commits on power loss, fine for a server's disk.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class SQLiteLockTimeout(RuntimeError):
    """The process's SQLite lock was not free in time: the database is overloaded."""


def _serialise_transactions(
    engine: Engine, lock_file: Path | None, timeout_s: float = 30.0
) -> None:
    """One SQLite transaction at a time, across threads and worker processes.

    SQLite allows one writer, and its busy handler waits in growing sleeps
    (1, 2, 5 … 100 ms: hundreds of milliseconds of tail latency as soon as two
    worker processes write), while a deferred transaction that read before
    another connection committed fails outright when it then writes. So every
    transaction first takes this process's lock, then an flock on a file
    beside the database, which the kernel hands to the next waiting process
    the moment it is released: no polling sleeps. Transactions here last well
    under a millisecond; a crashed process's flock goes with it.
    """
    lock = threading.Lock()
    handle = lock_file.open("a+b") if lock_file is not None else None

    def begin(conn: Any) -> None:
        if not lock.acquire(timeout=timeout_s):
            raise SQLiteLockTimeout("the SQLite database stayed busy; try again")
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        conn.info["holds_sqlite_lock"] = True

    def end(conn: Any) -> None:
        # Only the connection that took the lock gives it back.
        if conn.info.pop("holds_sqlite_lock", False):
            if handle is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            lock.release()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)


def _create_private(database: Path) -> None:
    """Make the database file 0600 before SQLite does (it would use the umask, often 0644).

    SQLite gives its -wal and -shm files the database file's mode. A file made
    0644 by an older version is narrowed too.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if database.stat().st_mode & 0o077:
            try:
                database.chmod(0o600)
            except PermissionError:  # not ours to change: the operator's choice stands
                pass


# PostgreSQL connections a worker keeps: opened once and kept, none beyond. Connections
# opened for a burst and closed after it (the pool's overflow) cost a PostgreSQL process
# each; under 400 polls/s that churn was the largest single cost (265-274 polls/s
# answered with 10 kept + 10 overflow, 388-389/s with 20 kept, measured one after the
# other). A request finding all in use waits for one.
POOL_SIZE = 20


def make_engine(url: str = DEFAULT_DATABASE_URL, pool_size: int = POOL_SIZE) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private(Path(parsed.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        on_disk = parsed.database and parsed.database != ":memory:"
        _serialise_transactions(engine, Path(f"{parsed.database}.lock") if on_disk else None)
        return engine
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=0, connect_args={"connect_timeout": 10}
    )
    _ping_when_idle(engine)
    return engine


# A connection idle longer than this is asked whether it still works before it is used.
PING_AFTER_IDLE_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Checks a connection that sat idle before handing it out (a server restarted, a
    standby promoted, a firewall that forgot it): a dead one is replaced, unseen by the
    request. SQLAlchemy's `pool_pre_ping` asks on every checkout, which was a tenth of the
    machine at 400 polls/s; a connection in steady use is asked nothing. One that dies
    between two uses a moment apart fails its request once (503 `database_unavailable`),
    and that failure has the whole pool replaced."""

    def checkin(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            with dbapi.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure: take another connection
            raise DisconnectionError(f"an idle connection no longer works: {exc}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def commit_liveness(db: Session, written: bool = False) -> None:
    """Commits what only says "still here" (a desk's or a kiosk's poll): on PostgreSQL
    without waiting for the disk, as heartbeats do (losing the last instant of it in a
    database crash is harmless, and a wait per poll was most of a poll's cost).
    `written`: a bulk update wrote some (the session cannot see it)."""
    if (written or db.dirty or db.new) and db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.commit()


def database_not_writable(engine: Engine) -> str | None:
    """Why this engine cannot take writes now, or None: the readiness check's question."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                conn.execute(text("SELECT 1"))
                return None
            if conn.execute(text("SELECT pg_is_in_recovery()")).scalar():
                return "the database is a standby (read only)"
            return None
    except Exception as exc:  # noqa: BLE001 - any failure is "not ready", said in words
        return f"the database cannot be reached ({type(exc).__name__})"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Every session counts what it changes for the polls that watch it.
    from central.calls import change_marks

    change_marks.install()
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def changed(db: Session, statement: Executable) -> int:
    """How many rows an UPDATE or DELETE touched: the claim checks (`== 1`) and the
    retention counts read it. SQLAlchemy types `execute` as a Result; only its
    CursorResult has `rowcount`."""
    return cast(CursorResult[Any], db.execute(statement)).rowcount or 0
