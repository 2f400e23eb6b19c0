"""An unattended card terminal spoken to with the nexo Retailer protocol (Sale to POI):
login, payment, abort, transaction status and reversal, over TCP on the local network.

The kiosk is the Sale System; the terminal (the POI) reads the card and takes the PIN
itself, so the kiosk never sees a card number: this driver keeps the result, the POI's
transaction id and the amount of each answer, and drops the rest (card data, receipts)
before anything else sees it.

Messages are nexo Retailer's `SaleToPOIRequest`/`SaleToPOIResponse` in their JSON form
(the element names of the XML schema, attributes as members), each framed on the
socket by its length as four bytes, big-endian. One connection per exchange, so an
abort can go while a payment waits, and a dropped connection loses one answer only
(which `transaction_status` then asks for). Every socket operation has a timeout.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hardware.base import Device, DeviceError, DeviceOffline, DeviceState, DeviceTimeout

PROTOCOL_VERSION = "3.1"
MAX_MESSAGE = 256 * 1024
CONNECT_TIMEOUT_S = 3.0
ANSWER_TIMEOUT_S = 15.0  # login, status, abort, reversal
PAYMENT_TIMEOUT_S = 180.0  # the citizen inserts the card and types the PIN meanwhile


class TerminalBusy(DeviceError):
    """The terminal is serving another request; try again in a moment."""


class TerminalRefused(DeviceError):
    """The terminal answered Failure to something that is not a payment (a login, a
    reversal); `condition` is nexo's ErrorCondition."""

    def __init__(self, message: str, condition: str = "") -> None:
        super().__init__(message)
        self.condition = condition


@dataclass(frozen=True)
class Outcome:
    """A payment's result as the terminal gave it: never card data."""

    approved: bool
    condition: str  # nexo ErrorCondition on failure: Refusal, Aborted, Cancel, Busy, …
    sale_transaction_id: str  # ours: the payment's id
    poi_transaction_id: str  # the terminal's, for a reversal and the reconciliation
    poi_timestamp: str
    amount_cents: int  # authorised (0 when not approved)
    service_id: str  # the request's, for transaction status and abort

    @property
    def declined(self) -> bool:
        return not self.approved and self.condition in ("Refusal", "Cancel", "NotAllowed")


def cents_to_amount(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def amount_to_cents(amount: Any) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value())


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def read_message(sock: socket.socket) -> dict[str, Any]:
    """One framed message; DeviceOffline when the peer closed, DeviceTimeout on silence."""
    size = struct.unpack(">I", _read_exactly(sock, 4))[0]
    if not 0 < size <= MAX_MESSAGE:
        raise DeviceError(f"a message of {size} bytes is no nexo message")
    try:
        found = json.loads(_read_exactly(sock, size))
    except ValueError as exc:
        raise DeviceError(f"the terminal sent what is not JSON: {exc}") from exc
    if not isinstance(found, dict):
        raise DeviceError("the terminal sent a message that is not an object")
    return found


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    chunks, left = [], count
    while left:
        try:
            chunk = sock.recv(left)
        except TimeoutError as exc:
            raise DeviceTimeout("the terminal did not answer in time") from exc
        except OSError as exc:
            raise DeviceOffline(f"the connection to the terminal broke: {exc}") from exc
        if not chunk:
            raise DeviceOffline("the terminal closed the connection before answering")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def header(category: str, kind: str, service_id: str, sale_id: str, poi_id: str) -> dict[str, Any]:
    return {
        "ProtocolVersion": PROTOCOL_VERSION,
        "MessageClass": "Service",
        "MessageCategory": category,
        "MessageType": kind,
        "ServiceID": service_id,
        "SaleID": sale_id,
        "POIID": poi_id,
    }


def now_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def outcome_of(body: dict[str, Any], service_id: str, sale_transaction_id: str) -> Outcome:
    """A PaymentResponse as an Outcome, card data left behind."""
    response = body.get("Response") or {}
    approved = response.get("Result") == "Success"
    poi = ((body.get("POIData") or {}).get("POITransactionID")) or {}
    amounts = ((body.get("PaymentResult") or {}).get("AmountsResp")) or {}
    sale = (((body.get("SaleData") or {}).get("SaleTransactionID")) or {}).get("TransactionID")
    return Outcome(
        approved=approved,
        condition="" if approved else str(response.get("ErrorCondition") or "Refusal"),
        sale_transaction_id=str(sale or sale_transaction_id),
        poi_transaction_id=str(poi.get("TransactionID") or ""),
        poi_timestamp=str(poi.get("TimeStamp") or ""),
        amount_cents=amount_to_cents(amounts.get("AuthorizedAmount", 0)) if approved else 0,
        service_id=service_id,
    )


class NexoTerminal(Device):
    """`payment_terminal: nexo:HOST:PORT[:POIID]` in the kiosk's devices."""

    kind = "payment_terminal"

    def __init__(self, name: str, host: str, port: int, poi_id: str, sale_id: str) -> None:
        super().__init__(name)
        self.host, self.port = host, port
        self.poi_id, self.sale_id = poi_id, sale_id
        self._logged_in = False

    # -- plumbing ---------------------------------------------------------------------

    def next_service_id(self) -> str:
        """Unique within a login session and across restarts (nexo allows ten
        characters): ten random digits, so a kiosk restarted within the same second
        cannot reuse an id its previous run sent, and ask about another's payment."""
        return f"{secrets.randbelow(10**10):010d}"

    def _exchange(
        self, category: str, body: dict[str, Any], service_id: str, timeout_s: float
    ) -> dict[str, Any] | None:
        """Sends one request and waits for the response with its ServiceID; None when the
        terminal answers nothing (an abort). Notifications in between are skipped."""
        request = {
            "SaleToPOIRequest": {
                "MessageHeader": header(category, "Request", service_id, self.sale_id, self.poi_id),
                f"{category}Request": body,
            }
        }
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            self._update(DeviceState.OFFLINE, reason=f"cannot reach the terminal: {exc}")
            raise DeviceOffline(f"the terminal at {self.host}:{self.port} does not answer") from exc
        try:
            sock.settimeout(timeout_s)
            send_message(sock, request)
            if category == "Abort":
                return None
            deadline = time.monotonic() + timeout_s
            while True:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                message = read_message(sock).get("SaleToPOIResponse") or {}
                head = message.get("MessageHeader") or {}
                if head.get("ServiceID") == service_id and head.get("MessageCategory") == category:
                    found = message.get(f"{category}Response")
                    if not isinstance(found, dict):
                        raise DeviceError(f"the terminal's {category} response was empty")
                    return found
                if time.monotonic() > deadline:
                    raise DeviceTimeout("the terminal did not answer in time")
        finally:
            sock.close()

    def _checked(self, found: dict[str, Any] | None, what: str) -> dict[str, Any]:
        response = (found or {}).get("Response") or {}
        if response.get("Result") != "Success":
            condition = str(response.get("ErrorCondition") or "")
            if condition == "Busy":
                self._update(DeviceState.BUSY, reason="busy")
                raise TerminalBusy("the terminal is busy")
            raise TerminalRefused(f"the terminal refused the {what}: {condition}", condition)
        return found or {}

    # -- the protocol's requests ------------------------------------------------------

    def login(self) -> None:
        """Opens a login session (at start and after the terminal lost ours)."""
        body = {
            "DateTime": now_stamp(),
            "SaleSoftware": {
                "ProviderIdentification": "Palvelupiste",
                "ApplicationName": "kiosk",
                "SoftwareVersion": "1",
            },
            "SaleTerminalData": {"TerminalEnvironment": "Unattended"},
            "OperatorLanguage": "fi",
        }
        self._checked(
            self._exchange("Login", body, self.next_service_id(), ANSWER_TIMEOUT_S), "login"
        )
        self._logged_in = True
        self._update(DeviceState.ONLINE, reason="")

    def pay(
        self,
        sale_transaction_id: str,
        amount_cents: int,
        service_id: str | None = None,
        timeout_s: float = PAYMENT_TIMEOUT_S,
    ) -> Outcome:
        """A payment for `amount_cents`: the terminal asks for the card and the PIN.
        Approved or not, an Outcome; DeviceOffline/DeviceTimeout when the answer was lost
        (then ask `transaction_status` with the same `service_id`)."""
        if not self._logged_in:
            self.login()
        service_id = service_id or self.next_service_id()
        body = {
            "SaleData": {
                "SaleTransactionID": {
                    "TransactionID": sale_transaction_id,
                    "TimeStamp": now_stamp(),
                }
            },
            "PaymentTransaction": {
                "AmountsReq": {"Currency": "EUR", "RequestedAmount": cents_to_amount(amount_cents)}
            },
            "PaymentData": {"PaymentType": "Normal"},
        }
        self._update(DeviceState.BUSY, reason="payment")
        try:
            found = self._exchange("Payment", body, service_id, timeout_s)
        except DeviceError:
            self._update(DeviceState.ONLINE, reason="")
            raise
        outcome = outcome_of(found or {}, service_id, sale_transaction_id)
        if outcome.condition == "Busy":
            self._update(DeviceState.BUSY, reason="busy")
            raise TerminalBusy("the terminal is busy with another payment")
        if outcome.condition == "LoggedOut":
            self._logged_in = False
        self._update(DeviceState.ONLINE, reason="")
        return outcome

    def abort(self, service_id: str, reason: str = "Abort by Sale System") -> None:
        body = {
            "MessageReference": {
                "MessageCategory": "Payment",
                "ServiceID": service_id,
                "SaleID": self.sale_id,
                "POIID": self.poi_id,
            },
            "AbortReason": reason,
        }
        self._exchange("Abort", body, self.next_service_id(), ANSWER_TIMEOUT_S)

    def transaction_status(self, service_id: str, sale_transaction_id: str) -> Outcome | None:
        """What became of the payment sent with `service_id`: an Outcome, or None when the
        terminal has no such payment (it never started: nothing was charged). TerminalBusy
        while it is still in progress."""
        body = {
            "MessageReference": {
                "MessageCategory": "Payment",
                "ServiceID": service_id,
                "SaleID": self.sale_id,
                "POIID": self.poi_id,
            }
        }
        found = (
            self._exchange("TransactionStatus", body, self.next_service_id(), ANSWER_TIMEOUT_S)
            or {}
        )
        response = found.get("Response") or {}
        if response.get("Result") != "Success":
            condition = str(response.get("ErrorCondition") or "")
            if condition in ("InProgress", "Busy"):
                raise TerminalBusy("the payment is still in progress")
            return None  # NotFound: the terminal never had it
        repeated = found.get("RepeatedMessageResponse") or {}
        payment = repeated.get("RepeatedResponseMessageBody", {}).get("PaymentResponse")
        if not isinstance(payment, dict):
            return None
        found_outcome = outcome_of(payment, service_id, sale_transaction_id)
        if found_outcome.sale_transaction_id != sale_transaction_id:
            return None  # another sale's answer: not what was asked, so not ours to take
        return found_outcome

    def reverse(self, outcome: Outcome, reason: str = "MerchantCancel") -> None:
        """Takes an approved payment back at once (before the terminal's cut-off)."""
        body = {
            "ReversalReason": reason,
            "OriginalPOITransaction": {
                "SaleID": self.sale_id,
                "POIID": self.poi_id,
                "POITransactionID": {
                    "TransactionID": outcome.poi_transaction_id,
                    "TimeStamp": outcome.poi_timestamp,
                },
            },
        }
        self._checked(
            self._exchange("Reversal", body, self.next_service_id(), ANSWER_TIMEOUT_S), "reversal"
        )

    def refresh_status(self) -> None:
        """The kiosk's minute check (kiosk/device_hub.py): a nexo Diagnosis request, so
        a terminal switched off or unplugged is a fault in the next heartbeat, as a
        printer's is. Skipped while a payment is under way (the terminal is busy)."""
        if self.state == DeviceState.BUSY and self.status.get("reason") == "payment":
            return
        try:
            if not self._logged_in:
                self.login()
            found = self._exchange(
                "Diagnosis", {"HostDiagnosisFlag": False}, self.next_service_id(), ANSWER_TIMEOUT_S
            )
        except DeviceTimeout:
            self._update(DeviceState.HARDWARE_ERROR, reason="the terminal does not answer")
            return
        except DeviceOffline:
            return  # _exchange said so
        except DeviceError as exc:
            self._update(DeviceState.HARDWARE_ERROR, reason=str(exc)[:100])
            return
        global_status = (((found or {}).get("POIStatus")) or {}).get("GlobalStatus", "OK")
        if global_status in ("OK", "Busy"):
            self._update(DeviceState.ONLINE, reason="")
        else:
            self._update(DeviceState.NEEDS_ATTENTION, reason=f"terminal: {global_status}")

    def self_test(self) -> Any:
        report = super().self_test()
        try:
            self.login()
            report.check("login", True)
        except DeviceError as exc:
            report.check("login", False, str(exc))
        return report
