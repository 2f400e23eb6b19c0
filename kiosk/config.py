"""The kiosk's configuration in state.db (the `config` table): the only code that touches it.

The agent stores what central sends; the UI, the self-test and the agent read
it back as a document over the defaults (`load`) or typed (`current`).
"""

from __future__ import annotations

import json
from typing import Any

from contract.kiosk_config import DEFAULTS, KioskConfig, merge_patch
from kiosk.store import StateStore


def load(store: StateStore) -> dict[str, Any]:
    """The synced config document over the defaults; the defaults before the first sync."""
    row = store.db.execute("SELECT document FROM config WHERE id = 1").fetchone()
    return merge_patch(DEFAULTS, json.loads(row[0]) if row else {})


def current(store: StateStore) -> KioskConfig:
    return KioskConfig.from_document(load(store))


def version(store: StateStore) -> int | None:
    row = store.db.execute("SELECT version FROM config WHERE id = 1").fetchone()
    return row[0] if row else None


def save(store: StateStore, document: dict[str, Any], etag: str | None) -> None:
    """Store central's document as it came (the defaults are merged on reading)."""
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO config (id, version, etag, document) VALUES (1, ?, ?, ?)",
            [document.get("version", 1), etag, json.dumps(document)],
        )
