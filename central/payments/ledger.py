"""The one place a payment's status moves: one table of the moves allowed, each taken
under a row lock, each written down as a `PaymentStep`.

Providers' words come late, twice and out of order; the table makes every such word
change a payment at most once: "ok" twice is one PAID, "fail" after "ok" changes
nothing, and an "ok" after the kiosk gave up (EXPIRED) or after a "fail" still records
the payment (the money was taken: it must be recorded, and shows in reconciliation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.models import Payment, PaymentStep
from central.db.types import utcnow
from contract.payments import PaymentStatus

S = PaymentStatus
# (from, to): allowed. Anything else is a word that comes too late to matter.
MOVES: frozenset[tuple[PaymentStatus, PaymentStatus]] = frozenset(
    {
        (S.OPEN, S.PENDING),
        (S.OPEN, S.PAID),
        (S.OPEN, S.FAILED),
        (S.OPEN, S.CANCELLED),
        (S.OPEN, S.EXPIRED),
        (S.PENDING, S.PAID),
        (S.PENDING, S.FAILED),
        (S.PENDING, S.EXPIRED),
        # The provider's "ok" outranks our giving up: the money was taken.
        (S.EXPIRED, S.PAID),
        (S.CANCELLED, S.PAID),
        (S.FAILED, S.PAID),
        (S.PAID, S.REFUNDED),
        (S.REFUNDED, S.REFUNDED),  # a further partial refund
    }
)

# A provider's word (Paytrail's checkout-status) as a status of ours.
FROM_PROVIDER = {
    "ok": S.PAID,
    "pending": S.PENDING,
    "delayed": S.PENDING,
    "fail": S.FAILED,
}


@dataclass(frozen=True)
class Moved:
    payment: Payment
    changed: bool  # False: the word changed nothing (said before, or too late)


def locked(db: Session, payment_id: str) -> Payment | None:
    """The payment, its row locked until the transaction ends (PostgreSQL; SQLite's
    writes are one at a time anyway)."""
    return db.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())


def move(
    db: Session,
    payment: Payment,
    to: PaymentStatus,
    source: str,
    detail: str = "",
    now: datetime | None = None,
) -> bool:
    """Moves the payment to `to` if the table allows it; the caller commits."""
    before = payment.status
    if (before, to) not in MOVES or (before == to and to != S.REFUNDED):
        return False
    at = now or utcnow()
    payment.status, payment.updated_at = to, at
    if to == S.PAID and payment.paid_at is None:
        payment.paid_at = at
    db.add(
        PaymentStep(
            payment_id=payment.id,
            at=at,
            source=source[:16],
            from_status=before,
            to_status=to,
            detail=detail[:200],
        )
    )
    return True


def provider_says(
    db: Session,
    payment_id: str,
    status: str,
    transaction_id: str,
    amount_cents: int,
    source: str,
) -> Moved | None:
    """A signed word from the provider. The amount must be the payment's: a notice for
    another amount is refused (None), as is one for a payment central does not have.
    Commits."""
    payment = locked(db, payment_id)
    if payment is None or amount_cents != payment.amount_cents:
        db.rollback()
        return None
    if payment.provider_ref and transaction_id and payment.provider_ref != transaction_id:
        db.rollback()
        return None
    to = FROM_PROVIDER.get(status)
    if to is None:
        db.rollback()
        return None
    changed = move(db, payment, to, source, f"provider: {status}")
    if changed:
        payment.provider_status = status
    db.commit()
    return Moved(payment, changed)
