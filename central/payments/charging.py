"""A payment by the citizen's phone through Suomi.fi Payments: opened at the provider for
the organisation that is paid, asked about when the kiosk gives up or a notice is late,
expired when nobody paid, refunded by an admin.

Every provider call has a timeout; a provider that does not answer leaves the payment
as it was (OPEN or PAID) and the next pass asks again. Nothing here holds card data or
the payer's identity: the provider's transaction id and status only.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from central.background import Every
from central.calls.documents import seal, unseal
from central.db.models import Payment, PaymentAccount
from central.db.types import utcnow
from central.errors import ApiError
from central.payments import ledger
from central.payments.paytrail import Merchant, Paytrail, PaytrailError
from central.payments.prices import Priced
from central.settings import Settings
from contract.payments import PaymentMethod, PaymentPurpose, PaymentStatus, line

log = logging.getLogger("central.payments")
S = PaymentStatus
LANGUAGES = {"fi": "FI", "sv": "SV", "en": "EN"}
# Where the provider sends the phone back to and calls central (public, signed).
RETURN_PATH = "/pay/return"
CALLBACK_PATH = "/api/v1/payments/paytrail/callback"
CARD_REPORT_GRACE = timedelta(days=1)  # a kiosk down overnight still reports in time

Provider = Callable[[Merchant], Paytrail]  # tests hand in their own HTTP session


def _sealed_for(org_id: str) -> str:
    return f"payment-account:{org_id}"


def set_account(db: Session, key: bytes, org_id: str, merchant_id: str, secret: str) -> None:
    """The organisation's merchant account; its secret sealed with central's key."""
    account = db.get(PaymentAccount, org_id) or PaymentAccount(org_id=org_id)
    account.merchant_id = merchant_id
    account.secret_sealed = seal(key, _sealed_for(org_id), secret.encode())
    account.updated_at = utcnow()
    db.add(account)


def merchant_of(db: Session, key: bytes, settings: Settings, org_id: str) -> Merchant:
    account = db.get(PaymentAccount, org_id)
    if account is None:
        raise ApiError(
            409,
            "payments_not_configured",
            "The organisation that is paid has no Suomi.fi Payments account set up.",
        )
    secret = unseal(key, _sealed_for(org_id), account.secret_sealed).decode()
    return Merchant(settings.paytrail_url, account.merchant_id, secret)


def receipt_number() -> str:
    """A Finnish bank reference (viitenumero): nine random digits and the 7-3-1 check
    digit, so a payment can be named on paper and matched on the settlement."""
    base = str(secrets.randbelow(9 * 10**8) + 10**8)
    weights = (7, 3, 1)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


def open_payment(
    db: Session,
    key: bytes,
    settings: Settings,
    base: str,
    priced: Priced,
    purpose: PaymentPurpose,
    language: str,
    provider: Provider = Paytrail,
    *,
    site_id: str | None,
    kiosk_id: str | None,
    service_id: str | None = None,
    call_id: str | None = None,
    reason: str = "",
) -> Payment:
    """Records the payment, then opens it at the provider; commits. 409 when the paid
    organisation has no account; 502 when the provider does not answer (the payment is
    then FAILED, and nothing was charged)."""
    merchant_of(db, key, settings, priced.org_id)  # no account: said before recording
    payment = record(
        db,
        priced,
        purpose,
        PaymentMethod.PHONE,
        timedelta(minutes=settings.payment_open_minutes),
        site_id=site_id,
        kiosk_id=kiosk_id,
        service_id=service_id,
        call_id=call_id,
        reason=reason,
    )  # recorded before the provider hears of it: nothing is charged unknown
    return open_at_provider(db, key, settings, base, payment, language, provider)


def open_at_provider(
    db: Session,
    key: bytes,
    settings: Settings,
    base: str,
    payment: Payment,
    language: str,
    provider: Provider = Paytrail,
) -> Payment:
    """Opens a recorded payment at Suomi.fi Payments; commits. 502 when the provider does
    not answer (the payment is then FAILED, and nothing was charged)."""
    merchant = merchant_of(db, key, settings, payment.org_id)
    body = {
        "stamp": payment.id,
        "reference": payment.receipt_number,
        "amount": payment.amount_cents,
        "currency": "EUR",
        "language": LANGUAGES.get(language, "FI"),
        "items": [
            {
                "unitPrice": x["unit_cents"],
                "units": x["units"],
                "vatPercentage": x["vat_basis_points"] / 100,
                "productCode": str(x["description"])[:100],
                "description": str(x["description"])[:1000],
            }
            for x in payment.lines
        ],
        "customer": {"email": settings.payment_customer_email},
        "redirectUrls": {"success": base + RETURN_PATH, "cancel": base + RETURN_PATH},
        "callbackUrls": {"success": base + CALLBACK_PATH, "cancel": base + CALLBACK_PATH},
    }
    try:
        opened = provider(merchant).create(body)
    except PaytrailError as exc:
        log.warning("payment %s: the provider did not open it: %s", payment.id, exc)
        ledger.move(db, payment, S.FAILED, "provider", "not opened")
        db.commit()
        raise ApiError(
            502, "payments_unavailable", "Payment by phone is not available right now."
        ) from exc
    payment.provider_ref = str(opened["transactionId"])[:64]
    payment.pay_url = str(opened["href"])[:500]
    payment.expires_at = utcnow() + timedelta(minutes=settings.payment_open_minutes)
    db.commit()
    return payment


def ask_in_call(
    db: Session, call: Any, amount_cents: int, vat_basis_points: int, reason: str
) -> Payment:
    """The call's official asks the citizen to pay: recorded OPEN, paid to the call's
    organisation, opened at a provider only once the citizen accepts (`accept`); until
    then it costs nothing to decline. Commits."""
    asked = Priced(call.provider_id, [line(reason, 1, amount_cents, vat_basis_points)])
    return record(
        db,
        asked,
        PaymentPurpose.CALL_REQUEST,
        PaymentMethod.PHONE,  # until the citizen chooses
        CARD_REPORT_GRACE,
        site_id=call.site_id,
        kiosk_id=call.kiosk_id,
        service_id=call.service_id,
        call_id=call.id,
        reason=reason,
    )


def accept(
    db: Session,
    key: bytes,
    settings: Settings,
    base: str,
    payment: Payment,
    method: PaymentMethod,
    language: str,
    provider: Provider = Paytrail,
) -> Payment:
    """The citizen accepts a payment the official asked for: by phone it is opened at
    the provider now; by card the kiosk's terminal takes it and the kiosk reports."""
    unanswered = (
        payment.purpose == PaymentPurpose.CALL_REQUEST
        and payment.status == S.OPEN
        and payment.method == PaymentMethod.PHONE  # the placeholder until the citizen chooses
        and not payment.provider_ref
    )
    if not unanswered:
        raise ApiError(409, "payment_not_open", "This payment was already answered.")
    if method == PaymentMethod.CARD_TERMINAL:
        payment.method = PaymentMethod.CARD_TERMINAL
        db.commit()
        return payment
    return open_at_provider(db, key, settings, base, payment, language, provider)


def open_card_payment(
    db: Session,
    priced: Priced,
    purpose: PaymentPurpose,
    *,
    site_id: str | None,
    kiosk_id: str | None,
    service_id: str | None = None,
    call_id: str | None = None,
    reason: str = "",
) -> Payment:
    """A payment the kiosk's card terminal takes: recorded OPEN; the kiosk reports the
    terminal's result (`terminal_says`). Central has no provider to ask about it: the
    kiosk's journal knows and reports after a crash; one never reported expires after a
    day (`expire_once`), and a late report still makes it paid."""
    return record(
        db,
        priced,
        purpose,
        PaymentMethod.CARD_TERMINAL,
        CARD_REPORT_GRACE,
        site_id=site_id,
        kiosk_id=kiosk_id,
        service_id=service_id,
        call_id=call_id,
        reason=reason,
    )


def terminal_says(
    db: Session,
    payment: Payment,
    approved: bool,
    amount_cents: int,
    poi_transaction_id: str,
    condition: str,
) -> None:
    """The kiosk's report of its terminal's result; the ledger takes it once. An
    approved amount other than the payment's is refused (422): never recorded wrong."""
    if approved and amount_cents != payment.amount_cents:
        raise ApiError(422, "amount_mismatch", "The terminal approved another amount.")
    locked = ledger.locked(db, payment.id)
    assert locked is not None
    if approved:
        locked.provider_ref = poi_transaction_id[:64] or locked.provider_ref
        ledger.move(db, locked, S.PAID, "terminal", "approved")
    else:
        ledger.move(db, locked, S.FAILED, "terminal", condition or "declined")
    locked.provider_status = "approved" if approved else (condition or "declined")[:16]
    db.commit()


def record(
    db: Session,
    priced: Priced,
    purpose: PaymentPurpose,
    method: PaymentMethod,
    open_for: timedelta,
    *,
    site_id: str | None,
    kiosk_id: str | None,
    service_id: str | None,
    call_id: str | None,
    reason: str,
) -> Payment:
    """A new OPEN payment with a receipt number no other has; commits."""
    now = utcnow()
    payment = Payment(
        org_id=priced.org_id,
        site_id=site_id,
        kiosk_id=kiosk_id,
        service_id=service_id,
        call_id=call_id,
        purpose=purpose,
        method=method,
        status=S.OPEN,
        lines=[asdict(x) for x in priced.lines],
        amount_cents=priced.amount_cents,
        vat_cents=priced.vat_cents,
        reason=reason[:200],
        expires_at=now + open_for,
        created_at=now,
        updated_at=now,
    )
    _numbered(db, payment)
    db.commit()
    return payment


def _numbered(db: Session, payment: Payment) -> None:
    """Adds the payment with a receipt number no other payment has."""
    for _ in range(5):
        payment.receipt_number = receipt_number()
        try:
            with db.begin_nested():
                db.add(payment)
                db.flush()
            return
        except IntegrityError:
            continue
    raise ApiError(503, "busy", "No receipt number was free; try again.")


def ask_provider(
    db: Session, key: bytes, settings: Settings, payment: Payment, provider: Provider = Paytrail
) -> str | None:
    """The provider's status of the payment now (and the payment moved by it); None when
    it could not be asked."""
    if payment.method != PaymentMethod.PHONE or not payment.provider_ref:
        return None
    try:
        found = provider(merchant_of(db, key, settings, payment.org_id)).get(payment.provider_ref)
    except (PaytrailError, ApiError) as exc:
        log.info("payment %s: could not ask the provider: %s", payment.id, exc)
        return None
    status = str(found.get("status", ""))
    if status in ledger.FROM_PROVIDER and int(found.get("amount", -1)) == payment.amount_cents:
        ledger.provider_says(
            db, payment.id, status, payment.provider_ref, payment.amount_cents, "query"
        )
        db.refresh(payment)
    return status


def give_up(
    db: Session,
    key: bytes,
    settings: Settings,
    payment: Payment,
    to: PaymentStatus,
    source: str,
    provider: Provider = Paytrail,
) -> Payment:
    """The citizen declined (CANCELLED) or the time ran out (EXPIRED): asked once more
    first, so a payment made a moment ago is recorded as paid, not dropped. A provider
    that cannot be asked leaves an open payment open (the next pass asks again), so a
    payment is never given up on without the provider's word. Commits."""
    if payment.status not in (S.OPEN, S.PENDING):
        return payment
    status = ask_provider(db, key, settings, payment, provider)
    if payment.status in (S.OPEN, S.PENDING) and status in ("new", "fail"):
        ledger.move(db, payment, to, source)
        db.commit()
    elif status is None and payment.method == PaymentMethod.PHONE and not payment.provider_ref:
        ledger.move(db, payment, to, source)  # never opened at the provider
        db.commit()
    return payment


def expire_once(
    db: Session, key: bytes, settings: Settings, now: datetime, provider: Provider = Paytrail
) -> int:
    """Payments still open past their time: a phone payment is asked about, then expired
    (or paid); a card payment whose kiosk never reported is expired after a day (the
    kiosk's report, when it comes, still makes it paid: never lost)."""
    due = db.scalars(
        select(Payment)
        .where(Payment.status == S.OPEN, Payment.expires_at < now)
        .order_by(Payment.expires_at)
        .limit(200)
    ).all()
    expired = 0
    for payment in due:
        if payment.method == PaymentMethod.CARD_TERMINAL:
            ledger.move(db, payment, S.EXPIRED, "expiry", "the kiosk never reported")
            db.commit()
        else:
            give_up(db, key, settings, payment, S.EXPIRED, "expiry", provider)
        expired += payment.status == S.EXPIRED
    return expired


def runner(sessions: sessionmaker[Session], key: bytes, settings: Settings) -> Every:
    def once() -> None:
        with sessions() as db:
            expired = expire_once(db, key, settings, utcnow())
        if expired:
            log.info("payments: %d open payments expired", expired)

    return Every(
        "payments",
        settings.payment_check_every_s,
        once,
        sessions=sessions,
        instance=settings.instance_name,
    )


def refund(
    db: Session,
    key: bytes,
    settings: Settings,
    base: str,
    payment: Payment,
    amount_cents: int,
    provider: Provider = Paytrail,
) -> Payment:
    """Pays `amount_cents` back through the provider's refund call; commits."""
    if payment.status not in (S.PAID, S.REFUNDED):
        raise ApiError(409, "not_paid", "Only a paid payment can be refunded.")
    left = payment.amount_cents - payment.refunded_cents
    if not 1 <= amount_cents <= left:
        raise ApiError(422, "invalid_amount", f"Refund 1 to {left} cents.")
    if payment.method != PaymentMethod.PHONE or not payment.provider_ref:
        raise ApiError(409, "not_refundable", "This payment cannot be refunded here.")
    body = {
        "amount": amount_cents,
        "refundStamp": f"{payment.id}:{payment.refunded_cents + amount_cents}",
        "refundReference": payment.receipt_number,
        "callbackUrls": {"success": base + CALLBACK_PATH, "cancel": base + CALLBACK_PATH},
    }
    try:
        answer = provider(merchant_of(db, key, settings, payment.org_id)).refund(
            payment.provider_ref, body
        )
    except PaytrailError as exc:
        raise ApiError(
            502, "refund_failed", f"Suomi.fi Payments did not take the refund: {exc}"
        ) from exc
    if answer.get("status") == "fail":
        raise ApiError(502, "refund_failed", "Suomi.fi Payments refused the refund.")
    locked = ledger.locked(db, payment.id)
    assert locked is not None
    locked.refunded_cents += amount_cents
    ledger.move(db, locked, S.REFUNDED, "refund", f"{amount_cents} cents")
    db.commit()
    return locked
