"""One day's payments of one organisation, ours against the provider's word: every phone
payment made that day is asked about at Suomi.fi Payments (its status and amount), and
each that disagrees with our record is listed with why (one the provider says was paid
and we had not recorded is recorded then: never lost). Card payments are listed as
ours only: their settlement comes from the card acquirer, outside central. Where the
provider's settlement reports for the payments have arrived (`settlements.py`), each line
says what was paid out, and a payout that does not match our record is flagged.

The day is Finnish time; amounts are euro cents, VAT included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.models import Payment, SettlementLine
from central.errors import ApiError
from central.payments import charging, ledger
from central.payments.paytrail import Paytrail, PaytrailError
from central.settings import Settings
from contract.payments import PaymentMethod, PaymentStatus

HELSINKI_OFFSET_HOURS = 3  # the widest: days are cut in Finnish time below
MAX_PAYMENTS = 2000  # a day of one organisation; beyond this the report says it stopped
PAID_LIKE = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


@dataclass
class Line:
    payment_id: str
    receipt_number: str
    method: str
    purpose: str
    status: str  # ours
    amount_cents: int
    refunded_cents: int
    provider_status: str  # the provider's now ("" when not asked: a card payment)
    provider_amount_cents: int | None
    problem: str  # "" when both agree
    settled_cents: int | None = None  # what the provider's settlement reports paid out
    settlement_reference: str = ""


@dataclass
class Day:
    org_id: str
    day: date
    lines: list[Line] = field(default_factory=list)
    paid_cents: int = 0
    vat_cents: int = 0
    refunded_cents: int = 0
    settled_cents: int = 0  # of the day's payments, what settlement reports show paid out
    problems: int = 0
    unanswered: int = 0  # phone payments the provider could not be asked about
    truncated: bool = False


def day_bounds(day: date) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Helsinki")
    start = datetime.combine(day, time.min, zone)
    return start, start + timedelta(days=1)


def reconcile(
    db: Session,
    key: bytes,
    settings: Settings,
    org_id: str,
    day: date,
    provider: charging.Provider = Paytrail,
) -> Day:
    start, end = day_bounds(day)
    rows = db.scalars(
        select(Payment)
        .where(Payment.org_id == org_id, Payment.created_at >= start, Payment.created_at < end)
        .order_by(Payment.created_at)
        .limit(MAX_PAYMENTS + 1)
    ).all()
    report = Day(org_id, day, truncated=len(rows) > MAX_PAYMENTS)
    settled: dict[str, tuple[int, str]] = {}
    stamps = [p.id for p in rows[:MAX_PAYMENTS]]
    for part in range(0, len(stamps), 500):
        for stamp, cents, reference in db.execute(
            select(
                SettlementLine.stamp,
                SettlementLine.amount_cents,
                SettlementLine.settlement_reference,
            ).where(
                SettlementLine.org_id == org_id,
                SettlementLine.stamp.in_(stamps[part : part + 500]),
            )
        ):
            before = settled.get(stamp, (0, ""))[0]
            settled[stamp] = (before + cents, reference)
    client = None
    for payment in rows[:MAX_PAYMENTS]:
        provider_status, provider_amount, problem = "", None, ""
        if payment.method == PaymentMethod.PHONE and payment.provider_ref:
            try:
                if client is None:
                    client = provider(charging.merchant_of(db, key, settings, org_id))
                found = client.get(payment.provider_ref)
                provider_status = str(found.get("status", ""))
                provider_amount = int(found.get("amount", 0))
            except (PaytrailError, ApiError, ValueError):
                report.unanswered += 1
                provider_status = "unanswered"
            problem = _disagreement(payment, provider_status, provider_amount)
            if problem == "paid_there_not_here":
                # The money was taken: recorded now (the ledger takes the word once).
                ledger.provider_says(
                    db,
                    payment.id,
                    "ok",
                    payment.provider_ref,
                    provider_amount or 0,
                    "reconcile",
                )
                db.refresh(payment)
                problem = "recorded_now" if payment.status in PAID_LIKE else problem
        settled_cents, settlement_reference = settled.get(payment.id, (None, ""))
        if settled_cents is not None:
            report.settled_cents += settled_cents
            if payment.status not in PAID_LIKE:
                problem = problem or "settled_not_paid_here"
            elif settled_cents != payment.amount_cents - payment.refunded_cents:
                problem = problem or "settled_amount_differs"
        if payment.status in PAID_LIKE:
            report.paid_cents += payment.amount_cents
            report.vat_cents += payment.vat_cents
            report.refunded_cents += payment.refunded_cents
        report.problems += bool(problem)
        report.lines.append(
            Line(
                payment.id,
                payment.receipt_number,
                str(payment.method),
                str(payment.purpose),
                str(payment.status),
                payment.amount_cents,
                payment.refunded_cents,
                provider_status,
                provider_amount,
                problem,
                settled_cents,
                settlement_reference,
            )
        )
    db.commit()
    return report


def _disagreement(payment: Payment, provider_status: str, provider_amount: int | None) -> str:
    if provider_status == "unanswered":
        return "provider_unanswered"
    ours_paid = payment.status in PAID_LIKE
    theirs_paid = provider_status == "ok"
    if ours_paid and not theirs_paid:
        return "paid_here_not_there"
    if theirs_paid and not ours_paid:
        return "paid_there_not_here"
    if theirs_paid and provider_amount != payment.amount_cents:
        return "amount_differs"
    return ""
