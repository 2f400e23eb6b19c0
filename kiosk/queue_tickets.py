"""Queue ticket numbers from this kiosk: A001, A002, … starting again each day."""

from __future__ import annotations

from datetime import date

from kiosk.store import StateStore

COUNTER_KEY = "ui.ticket_counter"


def next_ticket(store: StateStore, today: date | None = None) -> str:
    """The next number, taken in one transaction so two takers never share one."""
    day = (today or date.today()).isoformat()
    with store.transaction():
        counter = store.get_state(COUNTER_KEY, {})
        number = counter.get("n", 0) + 1 if counter.get("day") == day else 1
        store.set_state(COUNTER_KEY, {"day": day, "n": number})
    return f"A{number:03d}"
