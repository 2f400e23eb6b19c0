"""state.db → central: usage events from the outbox and check-ins made offline.

The kiosk is authoritative for what happened on it. An event leaves the
outbox only when central has acknowledged it (accepted, duplicate or
rejected for good), so a crash mid-upload loses nothing and counts nothing twice.
"""

from __future__ import annotations

import logging

from contract import kiosk_api
from kiosk import bookings
from kiosk.agent.client import CentralClient, CentralUnavailable
from kiosk.outbox import Outbox
from kiosk.store import StateStore

log = logging.getLogger("kiosk.agent")


class Uploads:
    def __init__(self, store: StateStore, client: CentralClient, batch: int = 500) -> None:
        self.store = store
        self.client = client
        self.outbox = Outbox(store)
        self.batch = batch

    def events(self) -> int:
        """Upload one batch; delete only what central acknowledged. Returns events removed."""
        batch = self.outbox.batch(self.batch)
        if not batch:
            return 0
        answer = self.client.json(
            "POST", "/kiosk/events", json={"events": [e.as_upload() for e in batch]}
        )
        try:
            kiosk_api.parse(kiosk_api.EventsAnswer, answer)
        except kiosk_api.BadAnswer as exc:
            raise CentralUnavailable(f"events answer had an unexpected shape: {exc}") from exc
        taken = [
            i
            for i in answer.get("accepted", []) + answer.get("duplicates", [])
            if isinstance(i, str)
        ]
        rejected = [r for r in answer.get("rejected", []) if isinstance(r, dict)]
        for r in rejected:
            log.warning("central rejected event %s: %s", r.get("id"), r.get("error"))
        # A rejected event will never be accepted: keep the count, drop the event.
        rejected_ids = [str(r.get("id")) for r in rejected]
        if rejected_ids:
            self.store.set_state(
                "outbox.rejected_events",
                int(self.store.get_state("outbox.rejected_events", 0)) + len(rejected_ids),
            )
        return self.outbox.acknowledge(taken + rejected_ids)

    def drain(self, max_batches: int = 20) -> int:
        """Upload up to max_batches, so a week's backlog never starves heartbeats."""
        total = 0
        for _ in range(max_batches):
            removed = self.events()
            total += removed
            if removed == 0:
                break
        return total

    def checkins(self) -> int:
        rows = bookings.unsent_checkins(self.store)
        for event_id, booking_id, at in rows:
            answer = self.client.json(
                "POST",
                "/kiosk/checkins",
                json={"event_id": event_id, "booking_id": booking_id, "at": at},
            )
            status = answer.get("status") if isinstance(answer, dict) else None
            if not isinstance(status, str):
                raise CentralUnavailable("check-in answer had no status")
            bookings.checkin_answered(self.store, event_id, status)
        return len(rows)
