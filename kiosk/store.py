"""state.db: the kiosk's local copy of everything, shared by the UI and the agent.

One SQLite file in WAL mode, opened with the standard library's sqlite3: the
store only ever runs SQL, and importing sqlite-utils cost the UI about a fifth
of its cold start (it pulls in numpy, click and pluggy). Commits are
synchronous=FULL: the outbox promises that a committed usage event survives
power loss, and the other writes (sync results) are rare enough not to care.
The schema is a list of migrations applied in order, tracked in
`PRAGMA user_version`, so an old file upgrades in place.

Across releases (kiosk/update): a release opens a file migrated by a newer one as long
as no migration since its own schema broke older readers; one that did (listed in
BREAKS_OLDER) raises the file's floor, and an older release then refuses the file with
StateTooNew instead of misreading it. The updater snapshots state.db before a new
release migrates it and restores the snapshot when it rolls back below the floor.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk import disk_reserve

DEFAULT_STATE_DIR = Path("/var/lib/kiosk")


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE services (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL DEFAULT 0,
            item TEXT NOT NULL,
            updated_at TEXT
        )"""
    )
    # FTS index kept in step by the catalogue code, row for row (same rowid):
    # every language's names, summaries and keywords, so search works in any
    # of them. `starts` holds the first word of each name, for the first one or
    # two letters typed. Prefix indexes make short prefixes cheap.
    db.execute(
        "CREATE VIRTUAL TABLE services_fts USING fts5(name, summary, keywords, starts, "
        "tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')"
    )
    db.execute(
        """CREATE TABLE bookings (
            id TEXT PRIMARY KEY,
            service_id TEXT,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            display_name TEXT NOT NULL,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            code_salt TEXT NOT NULL,
            code_hash_alg TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX ix_bookings_code_hash ON bookings(code_hash)")
    db.execute(
        "CREATE TABLE config (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER, "
        "etag TEXT, document TEXT NOT NULL)"
    )
    db.execute(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            session_id TEXT,
            data TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE checkins (
            event_id TEXT PRIMARY KEY,
            booking_id TEXT NOT NULL,
            at TEXT NOT NULL,
            status TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE device_status (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, name)
        )"""
    )
    db.execute(
        """CREATE TABLE commands (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            args TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'received',
            detail TEXT,
            received_at TEXT NOT NULL,
            finished_at TEXT,
            reported INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v2(db: sqlite3.Connection) -> None:
    """Check-in by card: the card's salted hash, as central sends it."""
    db.execute("ALTER TABLE bookings ADD COLUMN card_hash TEXT")
    db.execute("CREATE INDEX ix_bookings_card_hash ON bookings(card_hash)")


def _v3(db: sqlite3.Connection) -> None:
    """Booking names sealed with the booking's code and card (contract.codes.seal_name);
    `display_name` stays for bookings central sent before it sealed names."""
    db.execute("ALTER TABLE bookings ADD COLUMN name_sealed_code TEXT")
    db.execute("ALTER TABLE bookings ADD COLUMN name_sealed_card TEXT")


def _v4(db: sqlite3.Connection) -> None:
    """Card payments' journal (kiosk/card_payment.py): each step written before the
    terminal or central hears of the next, so a crash or a power cut loses nothing and
    charges nothing twice. `payment` is central's KioskPayment (no card data, no payer)
    for the receipt; `outcome` the terminal's result (ids and amount only)."""
    db.execute(
        """CREATE TABLE card_payments (
            id TEXT PRIMARY KEY,
            service_id TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            step TEXT NOT NULL,
            payment TEXT NOT NULL,
            outcome TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


# Append only: a released migration is never edited, a new one is added.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
# The numbers (1-based) of migrations an older release cannot read past (a dropped or
# renamed column it uses). Keep migrations additive and this empty where you can.
BREAKS_OLDER: frozenset[int] = frozenset()
FLOOR_KEY = "schema.oldest_reader"


class StateTooNew(RuntimeError):
    """state.db was migrated by a newer release in a way this one cannot read."""


class StateStore:
    """The opened state.db; one per process (UI or agent), safe to share across threads.

    Each thread gets its own connection: a transaction belongs to a connection, so
    threads sharing one would run inside each other's BEGIN … COMMIT (the UI's
    device threads write device states while the main loop records usage).
    WAL lets them read side by side; BEGIN IMMEDIATE queues the writers.
    """

    def __init__(self, path: Path | str, timeout_s: float = 10.0, migrate: bool = True) -> None:
        """`migrate=False` only for the updater, which reads a file another release may
        have migrated past what this code knows."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        disk_reserve.give_back_if_full(self.path.parent)  # a full partition: open all the same
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self.db.execute("PRAGMA journal_mode=WAL")  # kept in the file: once is enough
        if migrate:
            self.migrate()

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:  # close what ended threads left, so months of threads add nothing
                for thread, old in self._open:
                    if not thread.is_alive():
                        old.close()
                self._open = [(t, c) for t, c in self._open if t.is_alive()]
                self._open.append((threading.current_thread(), conn))
        return conn

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self.transaction():
            version = self.schema_version
            if version > len(MIGRATIONS):
                floor = int(self.get_state(FLOOR_KEY, 0))
                if floor > len(MIGRATIONS):
                    raise StateTooNew(
                        f"{self.path} has schema {version}, which a newer release made and "
                        f"releases below schema {floor} cannot read; this release knows "
                        f"{len(MIGRATIONS)}"
                    )
                return
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")
                if number in BREAKS_OLDER:
                    self.set_state(FLOOR_KEY, number)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so the UI
        and the agent never fail half-way on a lock upgrade."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for _thread, conn in self._open:
                conn.close()
            self._open = []
        self._local = threading.local()

    # --- small key/value state (cursors, ETags, counters, last errors) ----------

    def get_state(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def schema_of(path: Path) -> tuple[int, int]:
    """(schema version, floor) of the file at `path`, read without migrating it."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        row = db.execute("SELECT value FROM sync_state WHERE key = ?", [FLOOR_KEY]).fetchone()
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        db.close()
    return version, int(json.loads(row[0])) if row else 0


def snapshot(path: Path, to: Path) -> None:
    """A consistent copy of the live file (SQLite's backup API: WAL and readers are fine)."""
    to.parent.mkdir(parents=True, exist_ok=True)
    partial = to.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(path, timeout=30.0)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    _fsync(partial)
    partial.replace(to)


def restore(snapshot_file: Path, path: Path) -> None:
    """Put a snapshot back as state.db; nothing may have the file open (units stopped)."""
    partial = path.with_suffix(".restoring")
    partial.write_bytes(snapshot_file.read_bytes())
    _fsync(partial)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    partial.replace(path)


def _fsync(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def default_path() -> Path:
    return Path(os.environ.get("KIOSK_STATE_DIR", DEFAULT_STATE_DIR)) / "state.db"
