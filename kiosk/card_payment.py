"""A card payment at the kiosk's terminal, journalled so that a crash, a kill or a power
cut at any moment charges nobody twice and loses no payment.

The journal (state.db's `card_payments`) is written before each step is taken:

    sending   the terminal may have started the payment (its ServiceID is the entry's)
    aborting  found still in progress after a crash, with nobody there: an abort was sent
    approved  the terminal took the money; central may not know yet
    declined  the terminal took nothing (refused, cancelled, aborted)
    reversed  the terminal took the money back (an aborted payment that raced to success)
    reported  central has the result: the entry is done

`settle_unfinished` runs at every start (and after an outage): an entry left `sending`
is asked about with the terminal's transaction status; approved → recorded and its
receipt printed again, still in progress → aborted (`aborting`), and if it got through
all the same, reversed; never found → nothing was charged. Entries not yet `reported` are reported.
Done entries are kept a while for the technician and then removed (bounded).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contract.payments import KioskPayment
from hardware.base import DeviceError
from hardware.terminal.nexo import NexoTerminal, Outcome, TerminalBusy
from kiosk.payments import Checkout, PaymentError
from kiosk.store import StateStore

log = logging.getLogger("kiosk.card_payment")
KEEP_DONE = timedelta(days=7)
# Payments this process is taking right now: the minute's settling leaves them alone (it
# would otherwise find a live payment "still in progress" and abort it).
_IN_FLIGHT: set[str] = set()
_in_flight_lock = threading.Lock()
MAX_ENTRIES = 500  # a kiosk takes a few dozen a day: beyond this, the oldest done go


@dataclass(frozen=True)
class Settled:
    """What became of one payment: `approved` (print the receipt), or not."""

    payment: KioskPayment
    approved: bool
    condition: str
    recovered: bool = False  # settled at a start, after a crash: print the receipt again


class CardPayments:
    def __init__(self, store: StateStore, terminal: NexoTerminal, checkout: Checkout) -> None:
        self.store = store
        self.terminal = terminal
        self.checkout = checkout

    # -- the journal ------------------------------------------------------------------

    def _write(self, payment_id: str, step: str, outcome: Outcome | None = None) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE card_payments SET step = ?, outcome = COALESCE(?, outcome), "
                "updated_at = ? WHERE id = ?",
                [step, json.dumps(asdict(outcome)) if outcome else None, _now(), payment_id],
            )

    def entries(self, *steps: str) -> list[dict[str, Any]]:
        rows = self.store.db.execute(
            "SELECT id, service_id, amount_cents, step, payment, outcome FROM card_payments "
            f"WHERE step IN ({','.join('?' * len(steps))}) ORDER BY created_at",
            list(steps),
        ).fetchall()
        return [
            {
                "id": r[0],
                "service_id": r[1],
                "amount_cents": r[2],
                "step": r[3],
                "payment": json.loads(r[4]),
                "outcome": json.loads(r[5]) if r[5] else None,
            }
            for r in rows
        ]

    # -- paying -----------------------------------------------------------------------

    def pay(self, payment: KioskPayment) -> Settled:
        """Takes the payment on the terminal and reports it. DeviceError when the
        terminal cannot be reached before anything started (nothing was charged)."""
        service_id = self.terminal.next_service_id()
        with _in_flight_lock:
            _IN_FLIGHT.add(payment.id)
        try:
            return self._pay(payment, service_id)
        finally:
            with _in_flight_lock:
                _IN_FLIGHT.discard(payment.id)

    def _pay(self, payment: KioskPayment, service_id: str) -> Settled:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO card_payments (id, service_id, amount_cents, step, payment, "
                "created_at, updated_at) VALUES (?, ?, ?, 'sending', ?, ?, ?)",
                [
                    payment.id,
                    service_id,
                    payment.amount_cents,
                    json.dumps(_plain(payment)),
                    _now(),
                    _now(),
                ],
            )
        try:
            outcome = self.terminal.pay(payment.id, payment.amount_cents, service_id)
        except TerminalBusy:
            self._write(payment.id, "declined")
            return self._report(payment, None, "Busy")
        except DeviceError as exc:
            # Sent or not, the answer is lost: the terminal knows what became of it.
            log.warning("card payment %s: no answer from the terminal: %s", payment.id, exc)
            [entry] = [e for e in self.entries("sending") if e["id"] == payment.id]
            return self._settle(entry, recovered=False)
        return self._record(payment, outcome)

    def abort(self, payment_id: str) -> None:
        """The citizen pressed Cancel on the kiosk's screen: the terminal stops asking
        for the card (the payment's own answer then says Aborted)."""
        found = [e for e in self.entries("sending") if e["id"] == payment_id]
        if found:
            self.terminal.abort(found[0]["service_id"])

    def _record(self, payment: KioskPayment, outcome: Outcome) -> Settled:
        if outcome.approved and outcome.amount_cents != payment.amount_cents:
            # Approved for another amount than asked: never kept; taken back at once.
            self.terminal.reverse(outcome, "Malfunction")
            self._write(payment.id, "reversed", outcome)
            return self._report(payment, outcome, "amount")
        self._write(payment.id, "approved" if outcome.approved else "declined", outcome)
        return self._report(payment, outcome, outcome.condition)

    def _report(self, payment: KioskPayment, outcome: Outcome | None, condition: str) -> Settled:
        taken_back = condition in ("amount", "reversed")
        approved = outcome is not None and outcome.approved and not taken_back
        try:
            self.checkout.terminal_result(
                payment.id,
                approved=approved,
                amount_cents=outcome.amount_cents if outcome else 0,
                condition=condition,
                poi_transaction_id=outcome.poi_transaction_id if outcome else "",
                reversed=taken_back,
            )
            self._write(payment.id, "reported")
        except PaymentError as exc:
            log.info("card payment %s: central not told yet (%s); told later", payment.id, exc)
        return Settled(payment, approved, condition)

    # -- after a crash ------------------------------------------------------------------

    def settle(self, payment_id: str) -> Settled | None:
        """One payment whose answer was lost, asked about again while the citizen waits
        (TerminalBusy while the terminal is still at it; None if it is settled already)."""
        found = [e for e in self.entries("sending", "aborting") if e["id"] == payment_id]
        return self._settle(found[0], recovered=False) if found else None

    def settle_unfinished(self) -> list[Settled]:
        """Every entry a crash left unfinished, settled with the terminal and central.
        Those the terminal cannot answer for yet stay for the next try."""
        settled = []
        with _in_flight_lock:
            busy = set(_IN_FLIGHT)
        for entry in self.entries("sending", "aborting"):
            if entry["id"] in busy:
                continue  # being paid in this process now: its own answer settles it
            try:
                settled.append(self._settle(entry, recovered=True))
            except DeviceError as exc:
                log.warning("card payment %s: the terminal cannot say yet: %s", entry["id"], exc)
        for entry in self.entries("approved", "declined", "reversed"):
            outcome = Outcome(**entry["outcome"]) if entry["outcome"] else None
            condition = {"reversed": "reversed"}.get(
                entry["step"], outcome.condition if outcome else ""
            )
            settled.append(self._report(_payment(entry["payment"]), outcome, condition))
        self._prune()
        return settled

    def _settle(self, entry: dict[str, Any], recovered: bool) -> Settled:
        """TerminalBusy (the entry stays) while the terminal is still at it."""
        payment = _payment(entry["payment"])
        aborting = entry["step"] == "aborting"
        try:
            outcome = self.terminal.transaction_status(entry["service_id"], payment.id)
        except TerminalBusy:
            if not recovered:
                raise
            # Still asking for a card with nobody there (the kiosk restarted): stop it.
            # If it gets through all the same, the money goes back (nobody was told).
            self._write(payment.id, "aborting")
            aborting = True
            self.terminal.abort(entry["service_id"], "Sale System restarted")
            outcome = self.terminal.transaction_status(entry["service_id"], payment.id)
        if outcome is None:
            self._write(payment.id, "declined")
            return self._reported(self._report(payment, None, "NotFound"), recovered)
        if outcome.approved and aborting:
            self.terminal.reverse(outcome, "Malfunction")
            self._write(payment.id, "reversed", outcome)
            return self._reported(self._report(payment, outcome, "reversed"), recovered)
        return self._reported(self._record(payment, outcome), recovered)

    @staticmethod
    def _reported(settled: Settled, recovered: bool) -> Settled:
        return Settled(settled.payment, settled.approved, settled.condition, recovered)

    def _prune(self) -> None:
        cutoff = (datetime.now(UTC) - KEEP_DONE).isoformat()
        with self.store.transaction() as db:
            db.execute(
                "DELETE FROM card_payments WHERE step = 'reported' AND updated_at < ?", [cutoff]
            )
            db.execute(
                "DELETE FROM card_payments WHERE step = 'reported' AND id NOT IN "
                "(SELECT id FROM card_payments ORDER BY created_at DESC LIMIT ?)",
                [MAX_ENTRIES],
            )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _plain(payment: KioskPayment) -> dict[str, Any]:
    out = asdict(payment)
    out["status"], out["method"], out["purpose"] = (
        str(payment.status),
        str(payment.method),
        str(payment.purpose),
    )
    return out


def _payment(data: dict[str, Any]) -> KioskPayment:
    from contract.kiosk_api import parse

    found: KioskPayment = parse(KioskPayment, data)
    return found
