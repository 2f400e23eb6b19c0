"""A stand-in for an unattended card terminal speaking nexo Retailer (Sale to POI) over
TCP on loopback, for tests, the demo and the benchmark: login, payment, abort,
transaction status and reversal, framed as the kiosk's driver frames them
(hardware/terminal/nexo.py: JSON, four length bytes before each message).

Its `behaviour` decides how the next payments go, as a real terminal in a kiosk might:
  approve          the card is read, the PIN typed, the payment approved
  decline          the issuer refuses (ErrorCondition Refusal)
  cancel           the citizen presses Cancel on the terminal (Cancel)
  busy             another payment is in progress (Busy)
  hang             the citizen never finishes: no answer until the Sale System aborts
  vanish           approved, then the connection drops before the answer is sent
  slow:S           approved after S seconds (an abort before then stops it)
  stubborn:S       approved after S seconds whatever aborts come (then reversed, or kept)
Its `ledger` is its own books (approved, declined, reversed), which tests compare with
central's. It holds a card's masked number as a real terminal does, and never sends it
in anything the kiosk could keep (the kiosk's driver drops card data all the same).
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hardware.base import DeviceError
from hardware.terminal.nexo import amount_to_cents, cents_to_amount, read_message, send_message

MASKED_PAN = "************4242"  # what a terminal knows of the card: never sent to the kiosk


@dataclass
class Transaction:
    service_id: str
    sale_transaction_id: str
    amount_cents: int
    result: str = "InProgress"  # InProgress | Success | Failure
    condition: str = ""
    poi_transaction_id: str = ""
    poi_timestamp: str = ""
    reversed: bool = False
    aborted: threading.Event = field(default_factory=threading.Event)


class NexoStandin:
    def __init__(self, poi_id: str = "POI-1", port: int = 0) -> None:
        self.poi_id = poi_id
        self.behaviour = "approve"
        self.transactions: list[Transaction] = []
        self.logins = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.5)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def spec(self) -> str:
        host, port = self.address
        return f"nexo:{host}:{port}:{self.poi_id}"

    def start(self) -> NexoStandin:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.listener.close()

    def ledger(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "sale_transaction_id": t.sale_transaction_id,
                    "poi_transaction_id": t.poi_transaction_id,
                    "amount_cents": t.amount_cents,
                    "result": t.result,
                    "condition": t.condition,
                    "reversed": t.reversed,
                }
                for t in self.transactions
            ]

    def charged(self) -> dict[str, int]:
        """Sale transaction → cents taken and not reversed: what the card holders paid."""
        return {
            t["sale_transaction_id"]: t["amount_cents"]
            for t in self.ledger()
            if t["result"] == "Success" and not t["reversed"]
        }

    # -- the server -----------------------------------------------------------------

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            request = read_message(conn).get("SaleToPOIRequest") or {}
            head = request.get("MessageHeader") or {}
            category = head.get("MessageCategory", "")
            body = request.get(f"{category}Request") or {}
            answer = self._answer(category, head, body, conn)
            if answer is not None:
                response = {
                    "SaleToPOIResponse": {
                        "MessageHeader": {**head, "MessageType": "Response"},
                        f"{category}Response": answer,
                    }
                }
                send_message(conn, response)
        except (DeviceError, OSError, ValueError):
            pass
        finally:
            conn.close()

    def _answer(
        self, category: str, head: dict[str, Any], body: dict[str, Any], conn: socket.socket
    ) -> dict[str, Any] | None:
        if category == "Login":
            with self.lock:
                self.logins += 1
            return {"Response": {"Result": "Success"}, "POISystemData": {"DateTime": _stamp()}}
        if category == "Payment":
            return self._payment(head, body, conn)
        if category == "Abort":
            ref = body.get("MessageReference") or {}
            with self.lock:
                for t in self.transactions:
                    if t.service_id == ref.get("ServiceID") and t.result == "InProgress":
                        t.aborted.set()
            return None
        if category == "TransactionStatus":
            return self._status(body)
        if category == "Reversal":
            return self._reversal(body)
        if category == "Diagnosis":
            return {"Response": {"Result": "Success"}, "POIStatus": {"GlobalStatus": "OK"}}
        return {"Response": {"Result": "Failure", "ErrorCondition": "NotAllowed"}}

    def _payment(
        self, head: dict[str, Any], body: dict[str, Any], conn: socket.socket
    ) -> dict[str, Any] | None:
        sale = (body.get("SaleData") or {}).get("SaleTransactionID") or {}
        amounts = (body.get("PaymentTransaction") or {}).get("AmountsReq") or {}
        behaviour = self.behaviour
        with self.lock:
            in_progress = any(t.result == "InProgress" for t in self.transactions)
            if behaviour == "busy" or in_progress:
                return {
                    "Response": {"Result": "Failure", "ErrorCondition": "Busy"},
                    "SaleData": {"SaleTransactionID": sale},
                }
            tx = Transaction(
                str(head.get("ServiceID", "")),
                str(sale.get("TransactionID", "")),
                amount_to_cents(amounts.get("RequestedAmount", "0")),
            )
            self.transactions.append(tx)
        if behaviour == "hang":
            tx.aborted.wait(300)
            self._finish(tx, "Failure", "Aborted")
        elif behaviour.startswith("stubborn:"):
            time.sleep(float(behaviour.split(":", 1)[1]))
            self._finish(tx, "Success")
        elif behaviour.startswith("slow:"):
            if tx.aborted.wait(float(behaviour.split(":", 1)[1])):
                self._finish(tx, "Failure", "Aborted")
            else:
                self._finish(tx, "Success")
        elif behaviour == "decline":
            self._finish(tx, "Failure", "Refusal")
        elif behaviour == "cancel":
            self._finish(tx, "Failure", "Cancel")
        else:
            self._finish(tx, "Success")
        if behaviour == "vanish":
            conn.close()  # the money is taken; the answer never leaves
            return None
        return self._payment_response(tx)

    def _finish(self, tx: Transaction, result: str, condition: str = "") -> None:
        with self.lock:
            tx.result, tx.condition = result, condition
            if result == "Success":
                tx.poi_transaction_id = uuid.uuid4().hex[:12]
                tx.poi_timestamp = _stamp()

    def _payment_response(self, tx: Transaction) -> dict[str, Any]:
        response: dict[str, Any] = {"Result": tx.result}
        if tx.condition:
            response["ErrorCondition"] = tx.condition
        body: dict[str, Any] = {
            "Response": response,
            "SaleData": {"SaleTransactionID": {"TransactionID": tx.sale_transaction_id}},
            "POIData": {
                "POITransactionID": {
                    "TransactionID": tx.poi_transaction_id or "-",
                    "TimeStamp": tx.poi_timestamp or _stamp(),
                }
            },
        }
        if tx.result == "Success":
            body["PaymentResult"] = {
                "AmountsResp": {
                    "Currency": "EUR",
                    "AuthorizedAmount": cents_to_amount(tx.amount_cents),
                },
                # What a terminal tells a Sale System about the card; the kiosk's driver
                # drops it (tests check it is nowhere on the kiosk or at central).
                "PaymentInstrumentData": {
                    "PaymentInstrumentType": "Card",
                    "CardData": {"PaymentBrand": "VISA", "MaskedPan": MASKED_PAN},
                },
            }
        return body

    def _status(self, body: dict[str, Any]) -> dict[str, Any]:
        ref = body.get("MessageReference") or {}
        with self.lock:
            found = [t for t in self.transactions if t.service_id == ref.get("ServiceID")]
            if not ref.get("ServiceID") and self.transactions:
                found = [self.transactions[-1]]
        if not found:
            return {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}
        tx = found[-1]
        if tx.result == "InProgress":
            return {"Response": {"Result": "Failure", "ErrorCondition": "InProgress"}}
        return {
            "Response": {"Result": "Success"},
            "RepeatedMessageResponse": {
                "MessageHeader": {"MessageCategory": "Payment", "ServiceID": tx.service_id},
                "RepeatedResponseMessageBody": {"PaymentResponse": self._payment_response(tx)},
            },
        }

    def _reversal(self, body: dict[str, Any]) -> dict[str, Any]:
        original = ((body.get("OriginalPOITransaction") or {}).get("POITransactionID")) or {}
        with self.lock:
            for t in self.transactions:
                if t.poi_transaction_id == original.get("TransactionID") and t.result == "Success":
                    t.reversed = True
                    return {"Response": {"Result": "Success"}}
        return {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9101)
    args = parser.parse_args()
    standin = NexoStandin(port=args.port).start()
    print(f"nexo terminal stand-in: payment_terminal = {standin.spec}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()
