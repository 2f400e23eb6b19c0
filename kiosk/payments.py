"""The kiosk's line to central's payments: this service point's prices, a payment by the
citizen's phone opened, asked about and given up. Asked from the UI (off the main
loop): a citizen paying cannot wait for the agent's next sync. The kiosk never sees card
data or who paid: amounts, VAT lines, a QR address and a status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract import payments as contract
from contract.kiosk_api import BadAnswer, parse
from kiosk import central_line

TIMEOUT_S = (3.0, 15.0)  # connect, read: opening a payment asks the provider too
KINDS = {
    "payments_unavailable": "unavailable",
    "payments_not_configured": "unavailable",
    "no_price": "unpriced",
}


class PaymentError(Exception):
    """Why a payment could not be had, in a word the screen turns into a sentence:
    offline (no answer), unavailable (the provider did not answer), unpriced, refused."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class Price:
    kind: contract.PriceKind
    service_id: str
    amount_cents: int
    vat_basis_points: int


@dataclass
class Checkout:
    """`client` gives a client with the kiosk's current token (None before enrolment)."""

    client: Any  # Callable[[], CentralClient | None]

    def _ask(self, method: str, path: str, **kw: Any) -> Any:
        return central_line.ask(
            self.client, method, f"/kiosk/payments{path}", TIMEOUT_S, KINDS, PaymentError, **kw
        )

    def prices(self) -> list[Price]:
        answer = self._ask("GET", "/prices")
        try:
            return [
                Price(
                    contract.PriceKind(p["kind"]),
                    str(p.get("service_id") or ""),
                    int(p["amount_cents"]),
                    int(p["vat_basis_points"]),
                )
                for p in answer["items"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentError("offline", f"unexpected answer: {exc}") from exc

    def price_of(self, kind: contract.PriceKind, service_id: str = "") -> Price | None:
        """This service point's price for a service's fee or a page; None: not sold."""
        found = [p for p in self.prices() if p.kind == kind and p.service_id == service_id]
        return found[0] if found else None

    def start(
        self, purpose: contract.PaymentPurpose, language: str, **what: Any
    ) -> contract.KioskPayment:
        body = {"purpose": purpose.value, "language": language, **what}
        return self._parsed(self._ask("POST", "", json=body))

    def status(self, payment_id: str) -> contract.KioskPayment:
        return self._parsed(self._ask("GET", f"/{payment_id}"))

    def accept(self, payment_id: str, method: str, language: str) -> contract.KioskPayment:
        """The citizen accepts what the official asked for in the call."""
        body = {"method": method, "language": language}
        return self._parsed(self._ask("POST", f"/{payment_id}/accept", json=body))

    def terminal_result(self, payment_id: str, **result: Any) -> contract.KioskPayment:
        """The card terminal's result, for central's records (sent again until taken)."""
        return self._parsed(self._ask("POST", f"/{payment_id}/terminal", json=result))

    def give_up(self, payment_id: str) -> contract.KioskPayment:
        return self._parsed(self._ask("POST", f"/{payment_id}/cancel"))

    @staticmethod
    def _parsed(answer: Any) -> contract.KioskPayment:
        try:
            found: contract.KioskPayment = parse(contract.KioskPayment, answer)
        except BadAnswer as exc:
            raise PaymentError("offline", f"unexpected answer: {exc}") from exc
        return found
