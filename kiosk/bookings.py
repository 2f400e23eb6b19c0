"""Bookings on the kiosk: applied from central's deltas, found by the code a citizen types.

The kiosk never holds a plain code: central sends each booking's hash with
its own salt, and a typed code is hashed the same way (contract.codes) for
each booking that could be meant, nearest to now first. Nor a name: each
booking's display name comes sealed with its code (and card), and is opened
only for the citizen who presented it (docs/security.md, "Stolen kiosk").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.codes import SUPPORTED, booking_code_hash, card_hash, matches, open_name
from kiosk.store import StateStore

COLUMNS = (
    "id",
    "service_id",
    "starts_at",
    "ends_at",
    "display_name",
    "mode",
    "status",
    "code_hash",
    "code_salt",
    "code_hash_alg",
    "card_hash",
    "name_sealed_code",
    "name_sealed_card",
)


@dataclass(frozen=True)
class Booking:
    id: str
    service_id: str | None
    starts_at: str
    ends_at: str
    display_name: str
    mode: str
    status: str


def shown_name(display_name: str) -> str:
    """What a public screen may show of a booking's name: the given name and an initial.

    Booking systems send whatever they hold ("Meikäläinen, Matti", "Anna-Liisa
    Virtanen", a full legal name with middle names); the kiosk shortens it itself,
    so nobody behind the citizen reads a full name off the screen."""
    text = " ".join(display_name.split())
    if "," in text:  # "Surname, Given Names"
        surname, _, given = text.partition(",")
        words, last = given.split(), surname.strip()
    else:
        words = text.split()
        last = words[-1] if len(words) > 1 else ""
    if not words:
        return f"{last[:1]}." if last else ""
    return f"{words[0]} {last[:1]}." if last else words[0]


def apply_delta(
    store: StateStore, items: list[dict[str, Any]], deleted: list[str], reset: bool
) -> None:
    with store.transaction() as db:
        if reset:
            db.execute("DELETE FROM bookings")
        for item in items:
            db.execute(
                f"INSERT OR REPLACE INTO bookings ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                [item.get(c) for c in COLUMNS],
            )
        for booking_id in deleted:
            db.execute("DELETE FROM bookings WHERE id = ?", [booking_id])


def _find(
    store: StateStore,
    column: str,
    secret: str,
    hash_of: Callable[[str, str, str], str],
    sealed_name: str,
) -> Booking | None:
    """Hash `secret` with each booking's salt; bookings sharing a salt cost one hash.

    The kiosk holds only today's bookings (`purge_past`); the one starting nearest
    to now is tried first, so a citizen on time is found after a hash or two. The
    found booking's name is opened with the same secret (one more scrypt).
    """
    now = datetime.now().astimezone()
    rows = store.db.execute(
        "SELECT id, service_id, starts_at, ends_at, display_name, mode, status, "
        f"{column}, code_salt, code_hash_alg, {sealed_name} "
        f"FROM bookings WHERE {column} IS NOT NULL"
    ).fetchall()
    candidates = [r for r in rows if r[9] in SUPPORTED]
    candidates.sort(key=lambda r: abs((datetime.fromisoformat(r[2]) - now).total_seconds()))
    hashed: dict[tuple[str, str], str] = {}
    for row in candidates:
        key = (row[8], row[9])
        if key not in hashed:
            hashed[key] = hash_of(secret, row[8], row[9])
        if matches(row[7], hashed[key]):
            name = row[4]
            if row[10]:
                name = open_name(row[10], secret, row[8]) or ""
            return Booking(row[0], row[1], row[2], row[3], name, row[5], row[6])
    return None


def find_by_code(store: StateStore, typed: str) -> Booking | None:
    """The booking whose code the citizen typed, or None."""
    return _find(store, "code_hash", typed, booking_code_hash, "name_sealed_code")


def find_by_card(store: StateStore, card_id: str) -> Booking | None:
    """The citizen's booking here that was made with this card (its UID in hex)."""
    if not card_id:
        return None
    return _find(store, "card_hash", card_id, card_hash, "name_sealed_card")


def code_from_qr(text: str) -> str:
    """A QR code holds the booking code, alone or at the end of a link (…?code=ABCD2345)."""
    text = text.strip()
    if "code=" in text:
        text = text.split("code=", 1)[1].split("&", 1)[0]
    return text.rsplit("/", 1)[-1].replace("-", "").upper()


def purge_past(store: StateStore, now: datetime) -> int:
    """Delete bookings that ended before today (local time): personal data is kept no longer."""
    start_of_day = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    removed = 0
    with store.transaction() as db:
        for booking_id, ends_at in db.execute("SELECT id, ends_at FROM bookings").fetchall():
            if datetime.fromisoformat(ends_at) < start_of_day:
                db.execute("DELETE FROM bookings WHERE id = ?", [booking_id])
                removed += 1
    return removed


def queue_checkin(store: StateStore, booking_id: str, at: datetime | None = None) -> str:
    """Record a check-in made on this kiosk; the agent sends it (again after an offline spell)."""
    import uuid

    event_id = str(uuid.uuid4())
    when = (at or datetime.now().astimezone()).isoformat(timespec="seconds")
    with store.transaction() as db:
        db.execute(
            "INSERT INTO checkins (event_id, booking_id, at) VALUES (?, ?, ?)",
            [event_id, booking_id, when],
        )
        db.execute("UPDATE bookings SET status = 'checked_in' WHERE id = ?", [booking_id])
    return event_id


def unsent_checkins(store: StateStore, limit: int = 100) -> list[tuple[str, str, str]]:
    """(event_id, booking_id, at) of check-ins central has not answered yet, oldest first."""
    return store.db.execute(
        "SELECT event_id, booking_id, at FROM checkins WHERE status IS NULL ORDER BY rowid LIMIT ?",
        [limit],
    ).fetchall()


def checkin_answered(store: StateStore, event_id: str, status: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE checkins SET status = ? WHERE event_id = ?", [status, event_id])
