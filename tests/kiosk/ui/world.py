"""A kiosk's state.db as the agent leaves it: the sample catalogue, today's bookings, config."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from central.codes import derive_code, new_salt
from central.ptv import parse_service
from contract.codes import CURRENT, booking_code_hash, card_hash
from kiosk import bookings, catalogue
from kiosk.store import StateStore
from kiosk.ui.pin_lock import pin_config
from tests.central.world import sample_catalogue

TECHNICIAN_PIN = "2468"
CITIZEN_NAME = "Maija Meikäläinen"
CITIZEN_CARD = "04A1B2C3D4E5F6"  # the UID of the card Maija booked with


@dataclass
class Booked:
    id: str
    code: str
    service_id: str
    display_name: str


def booking_item(
    service_id: str,
    name: str,
    starts: datetime,
    status: str = "booked",
    card_id: str | None = None,
) -> tuple[dict[str, Any], str]:
    salt = new_salt()
    code = derive_code(secrets.token_bytes(32), salt, 0)
    item = {
        "id": str(uuid.uuid4()),
        "service_id": service_id,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "display_name": name,
        "mode": "in_person",
        "status": status,
        "code_hash": booking_code_hash(code, salt),
        "code_salt": salt,
        "code_hash_alg": CURRENT,
        "card_hash": card_hash(card_id, salt) if card_id else None,
    }
    return item, code


def make_state(
    state_dir: Path, config: dict[str, Any] | None = None
) -> tuple[StateStore, list[Booked]]:
    store = StateStore(state_dir / "state.db")
    items = [parse_service(doc)[0] for doc in sample_catalogue()["itemList"]]
    catalogue.apply_delta(store, items, [], reset=True)
    now = datetime.now().astimezone().replace(second=0, microsecond=0)
    booked = []
    rows = []
    for n, name in enumerate([CITIZEN_NAME, "Erik Exempel"]):
        card = CITIZEN_CARD if name == CITIZEN_NAME else None
        item, code = booking_item(
            items[n]["id"], name, now + timedelta(minutes=15 * (n + 1)), card_id=card
        )
        rows.append(item)
        booked.append(Booked(item["id"], code, item["service_id"], name))
    bookings.apply_delta(store, rows, [], reset=True)
    document = {"technician_pin": pin_config(TECHNICIAN_PIN, new_salt())} | (config or {})
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO config (id, version, etag, document) VALUES (1, 1, 'x', ?)",
            [json.dumps(document)],
        )
    return store, booked
