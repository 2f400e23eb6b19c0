"""Payments: what a citizen pays at the kiosk, how, and where a payment stands.

Shared by central (prices, payment records, the providers), the kiosk (the payment
screen, the receipt) and the console. Amounts are euro cents, VAT rates hundredths of
a per cent (2550 is 25.5 %), and prices include VAT. No card data and no payer's
identity is ever part of a payment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PaymentMethod(StrEnum):
    """How the citizen pays."""

    PHONE = "phone"  # Suomi.fi Payments (the Paytrail Payment API) on their own phone
    CARD_TERMINAL = "card_terminal"  # the kiosk's unattended terminal (nexo Retailer)


class PaymentStatus(StrEnum):
    """Where a payment stands. OPEN until the provider says; the others are final except
    EXPIRED and FAILED, which a provider's late "ok" still turns into PAID (the money was
    taken: it is recorded, never lost), and PAID, which a refund turns into REFUNDED."""

    OPEN = "open"  # created; the citizen is paying, or the provider has not said yet
    PENDING = "pending"  # the provider accepted it but has not confirmed (pending, delayed)
    PAID = "paid"
    FAILED = "failed"  # declined or cancelled at the provider
    CANCELLED = "cancelled"  # the citizen declined at the kiosk before paying
    EXPIRED = "expired"  # still open when the citizen walked away
    REFUNDED = "refunded"  # wholly or partly paid back (`refunded_cents`)


# Statuses in which no money has been taken and none will be without a provider's word.
UNPAID_FINAL = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED})


class PaymentPurpose(StrEnum):
    """What is paid for (counted apart in the reports)."""

    SERVICE_FEE = "service_fee"  # a service's fee, priced per site and service
    PRINT = "print"  # A4 pages printed
    COPY = "copy"  # A4 pages copied (scanned and printed)
    CALL_REQUEST = "call_request"  # asked for by the official during a call


class PriceKind(StrEnum):
    """What a site's price list prices."""

    SERVICE = "service"  # one service's fee (with its service id)
    PRINT_PAGE = "print_page"  # one printed A4 page
    COPY_PAGE = "copy_page"  # one copied A4 page


@dataclass
class PaymentLine:
    """One line of a receipt: what, how many, the unit price and the VAT in it."""

    description: str
    units: int
    unit_cents: int
    vat_basis_points: int
    total_cents: int
    vat_cents: int


@dataclass
class KioskPayment:
    """`POST /kiosk/payments` → 201 and `GET /kiosk/payments/{id}` → 200: what the kiosk
    shows, and what it prints once the payment is PAID. `pay_url` is for the QR code the
    citizen opens on their phone (PHONE); `receipt_number` names the payment on the
    receipt and in the console."""

    id: str
    status: PaymentStatus
    method: PaymentMethod
    purpose: PaymentPurpose
    amount_cents: int
    vat_cents: int
    lines: list[PaymentLine] = field(default_factory=list)
    pay_url: str = ""
    expires_at: str = ""  # RFC 3339: the kiosk gives up (and central expires it) then
    receipt_number: str = ""
    organisation: str = ""  # who is paid: named on the receipt
    reason: str = ""  # why, in the official's words (CALL_REQUEST)


@dataclass
class PaymentAsk:
    """What the official of a call asks the citizen to pay (in `KioskCall`): shown to
    accept (by phone or card) or decline; nothing is charged before the citizen accepts."""

    payment_id: str
    amount_cents: int
    vat_cents: int
    vat_basis_points: int
    reason: str
    organisation: str


def vat_in(gross_cents: int, vat_basis_points: int) -> int:
    """The VAT contained in a price that includes it, rounded to the cent."""
    return round(gross_cents * vat_basis_points / (10_000 + vat_basis_points))


def line(description: str, units: int, unit_cents: int, vat_basis_points: int) -> PaymentLine:
    total = units * unit_cents
    return PaymentLine(
        description, units, unit_cents, vat_basis_points, total, vat_in(total, vat_basis_points)
    )


def euros(cents: int) -> str:
    """12,50 € (the Finnish way, which the receipts use in every language)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole},{part:02d} €"
