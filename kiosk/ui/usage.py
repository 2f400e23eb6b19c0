"""Usage events from the UI into the outbox, checked for personal data before they are queued.

Central's own event validation (contract.events.validate: types, required
fields, privacy) runs here first, so an event central would reject never
reaches disk.
Search text with digits is dropped, not sent: a typed number may be personal.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.outbox import Outbox

log = logging.getLogger(__name__)


class UsageLog:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.refused = 0

    def record(self, type: str, session_id: str | None = None, **data: Any) -> str | None:
        """Queue one event; returns its id, or None when it was refused (and logged)."""
        if type == "search":
            query = str(data.pop("query", ""))
            if query and not any(ch.isdigit() for ch in query):
                data["query"] = query.lower()[:100]
        # Imported at the first event (a session's start), not before the first frame.
        from contract.events import InvalidEvent, validate

        try:
            # Central's own validation, whole: an event it would refuse is never queued.
            return self.outbox.add(type, data, session_id=session_id, check=validate)
        except InvalidEvent as exc:
            self.refused += 1
            log.error("usage event %s not queued: %s", type, exc)
            return None
