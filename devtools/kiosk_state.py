"""A kiosk's state.db as the agent leaves it: the sample catalogue, today's bookings, config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from central.bookings.codes import new_salt
from devtools.builders import kiosk_booking, kiosk_services
from kiosk import bookings, catalogue
from kiosk import config as kiosk_config
from kiosk.store import StateStore
from kiosk.ui.pin_lock import pin_config

TECHNICIAN_PIN = "2468"
CITIZEN_NAME = "Maija Meikäläinen"
# What a public screen shows of it (kiosk/bookings.py, shown_name).
CITIZEN_SHOWN = "Maija M."
CITIZEN_CARD = "04A1B2C3D4E5F6"  # the UID of the card Maija booked with


@dataclass
class Booked:
    id: str
    code: str
    service_id: str
    display_name: str


def make_state(
    state_dir: Path, config: dict[str, Any] | None = None
) -> tuple[StateStore, list[Booked]]:
    store = StateStore(state_dir / "state.db")
    items = kiosk_services()
    catalogue.apply_delta(store, items, [], reset=True)
    now = datetime.now().astimezone().replace(second=0, microsecond=0)
    booked = []
    rows = []
    for n, name in enumerate([CITIZEN_NAME, "Erik Exempel"]):
        card = CITIZEN_CARD if name == CITIZEN_NAME else None
        item, code = kiosk_booking(
            items[n]["id"], name, now + timedelta(minutes=15 * (n + 1)), card_id=card
        )
        rows.append(item)
        booked.append(Booked(item["id"], code, item["service_id"], name))
    bookings.apply_delta(store, rows, [], reset=True)
    document = {"technician_pin": pin_config(TECHNICIAN_PIN, new_salt())} | (config or {})
    kiosk_config.save(store, {"version": 1} | document, "x")
    return store, booked
