"""Payments: an organisation's Suomi.fi Payments account, a site's prices, the kiosk's
payments by phone, the provider's callbacks, and admins' view and refunds.

Who sees a payment: admins of the organisation that was paid, and of the organisation
whose service point it was made at (each authority its own, each point its whole).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select, true
from starlette.concurrency import run_in_threadpool

from central.access.policy import Access, allowed
from central.api.deps import DeviceDep, SessionDep, secret_key_of, settings_of
from central.api.schemas import Count, errors
from central.db.models import Organisation, Payment, PaymentAccount, PaymentStep, Price, Site
from central.db.types import utcnow
from central.errors import ApiError, forbidden, not_found
from central.payments import charging, ledger, prices, settlements
from central.payments.paytrail import notice_from
from central.payments.reconciliation import reconcile
from central.web.attachment import content_disposition
from central.web.links import public_base
from contract.payments import (
    KioskPayment,
    PaymentLine,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    PriceKind,
)

router = APIRouter(tags=["payments"])
kiosk_router = APIRouter(prefix="/kiosk/payments", tags=["kiosk payments"])

VatRate = Field(ge=0, le=10_000, description="VAT in hundredths of a per cent: 2550 is 25.5 %")
Cents = Field(ge=0, le=99_999_999, description="Euro cents, VAT included")


# -- an organisation's account ----------------------------------------------------------


class AccountIn(BaseModel):
    merchant_id: str = Field(pattern=r"^[0-9]{1,32}$")
    secret: str = Field(min_length=8, max_length=200)


class AccountOut(BaseModel):
    merchant_id: str | None
    configured: bool


@router.put(
    "/organisations/{org_id}/payment-account",
    response_model=AccountOut,
    responses=errors(401, 403, 404, 422),
)
def set_account(
    org_id: str,
    body: AccountIn,
    request: Request,
    access: Access = Depends(allowed("payment.manage")),
) -> AccountOut:
    """The organisation's Suomi.fi Payments merchant id and secret. The secret is kept
    sealed and never shown again."""
    access.org(org_id)
    charging.set_account(access.db, secret_key_of(request), org_id, body.merchant_id, body.secret)
    access.db.commit()
    return AccountOut(merchant_id=body.merchant_id, configured=True)


@router.get(
    "/organisations/{org_id}/payment-account",
    response_model=AccountOut,
    responses=errors(401, 403, 404),
)
def get_account(org_id: str, access: Access = Depends(allowed("payment.manage"))) -> AccountOut:
    access.org(org_id)
    account = access.db.get(PaymentAccount, org_id)
    return AccountOut(
        merchant_id=account.merchant_id if account else None, configured=bool(account)
    )


# -- a site's prices --------------------------------------------------------------------


class PriceIn(BaseModel):
    kind: PriceKind
    service_id: str = Field(default="", max_length=64)
    amount_cents: int = Cents
    vat_basis_points: int = VatRate
    org_id: str | None = Field(
        default=None,
        max_length=36,
        description="Who is paid: the site's own organisation (the default), or for a "
        "service's fee a provider serving here under an active agreement.",
    )


class PriceList(BaseModel):
    items: list[PriceIn] = Field(max_length=500)


def _price_out(p: Price) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "service_id": p.service_id,
        "amount_cents": p.amount_cents,
        "vat_basis_points": p.vat_basis_points,
        "org_id": p.org_id,
    }


@router.get("/sites/{site_id}/prices", responses=errors(401, 403, 404))
def get_prices(site_id: str, access: Access = Depends(allowed("payment.read"))) -> dict[str, Any]:
    access.site(site_id)
    return {"items": [_price_out(p) for p in prices.list_of(access.db, site_id)]}


@router.put("/sites/{site_id}/prices", responses=errors(401, 403, 404, 422))
def put_prices(
    site_id: str, body: PriceList, access: Access = Depends(allowed("payment.manage"))
) -> dict[str, Any]:
    """The site's whole price list, replacing the one before."""
    site = access.site(site_id)
    seen: set[tuple[str, str]] = set()
    rows = []
    for n, item in enumerate(body.items):
        service_id = item.service_id if item.kind == PriceKind.SERVICE else ""
        if item.kind == PriceKind.SERVICE and not service_id:
            raise ApiError(422, "invalid_price", f"Item {n}: a service's fee names the service.")
        if (item.kind, service_id) in seen:
            raise ApiError(422, "invalid_price", f"Item {n}: priced twice.")
        seen.add((item.kind, service_id))
        org_id = item.org_id or site.org_id
        if item.kind != PriceKind.SERVICE and org_id != site.org_id:
            raise ApiError(422, "invalid_price", f"Item {n}: pages are paid to the site's own.")
        if not prices.may_be_paid(access.db, site, org_id):
            raise ApiError(
                422,
                "invalid_price",
                f"Item {n}: that organisation has no active agreement to serve here.",
            )
        rows.append(
            Price(
                site_id=site_id,
                kind=item.kind,
                service_id=service_id,
                org_id=org_id,
                amount_cents=item.amount_cents,
                vat_basis_points=item.vat_basis_points,
            )
        )
    for old in prices.list_of(access.db, site_id):
        access.db.delete(old)
    access.db.flush()
    access.db.add_all(rows)
    access.db.commit()
    return {"items": [_price_out(p) for p in rows]}


# -- the kiosk --------------------------------------------------------------------------


class KioskPaymentIn(BaseModel):
    purpose: PaymentPurpose
    service_id: str = Field(default="", max_length=64)
    pages: int = Field(default=0, ge=0, le=prices.MAX_PAGES)
    language: str = Field(default="fi", pattern=r"^(fi|sv|en)$")
    method: PaymentMethod = PaymentMethod.PHONE


class TerminalResultIn(BaseModel):
    """What the kiosk's card terminal said of a card payment (never card data)."""

    approved: bool
    amount_cents: int = Field(ge=0, le=99_999_999)
    condition: str = Field(default="", max_length=32)
    poi_transaction_id: str = Field(default="", max_length=64)
    reversed: bool = False


def kiosk_view(db: Any, payment: Payment) -> dict[str, Any]:
    org = db.get(Organisation, payment.org_id)
    view = KioskPayment(
        id=payment.id,
        status=payment.status,
        method=payment.method,
        purpose=payment.purpose,
        amount_cents=payment.amount_cents,
        vat_cents=payment.vat_cents,
        lines=[PaymentLine(**x) for x in payment.lines],
        pay_url=payment.pay_url if payment.status == PaymentStatus.OPEN else "",
        expires_at=payment.expires_at.isoformat(),
        receipt_number=payment.receipt_number,
        organisation=org.name if org else "",
        reason=payment.reason,
    )
    out = view.__dict__.copy()
    out["lines"] = [x.__dict__ for x in view.lines]
    return out


def _kiosks_payment(db: Any, device: Any, payment_id: str) -> Payment:
    payment = db.get(Payment, payment_id)
    if payment is None or payment.kiosk_id != device.kiosk_id:
        raise not_found("payment")  # another kiosk's payment is no business of this one
    return payment


@kiosk_router.get("/prices", responses=errors(401, 403))
def kiosk_prices(device: DeviceDep, db: SessionDep) -> dict[str, Any]:
    """This service point's prices, to show before anything is charged."""
    return {"items": [_price_out(p) for p in prices.list_of(db, device.site_id)]}


@kiosk_router.post(
    "",
    status_code=201,
    response_model=KioskPayment,
    responses=errors(401, 403, 404, 409, 422, 502),
)
def start_payment(
    body: KioskPaymentIn, request: Request, device: DeviceDep, db: SessionDep
) -> dict[str, Any]:
    """A payment by the citizen's phone: the kiosk shows `pay_url` as a QR code and asks
    `GET /kiosk/payments/{id}` until it is PAID, FAILED or EXPIRED. By the kiosk's card
    terminal: recorded OPEN, and the kiosk reports the terminal's result."""
    priced = prices.priced(db, device.site_id, body.purpose, body.service_id, body.pages)
    if body.method == PaymentMethod.CARD_TERMINAL:
        return kiosk_view(
            db,
            charging.open_card_payment(
                db,
                priced,
                body.purpose,
                site_id=device.site_id,
                kiosk_id=device.kiosk_id,
                service_id=body.service_id or None,
            ),
        )
    payment = charging.open_payment(
        db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        priced,
        body.purpose,
        body.language,
        request.app.state.paytrail,
        site_id=device.site_id,
        kiosk_id=device.kiosk_id,
        service_id=body.service_id or None,
    )
    return kiosk_view(db, payment)


@kiosk_router.get("/{payment_id}", response_model=KioskPayment, responses=errors(401, 403, 404))
def payment_status(payment_id: str, device: DeviceDep, db: SessionDep) -> dict[str, Any]:
    return kiosk_view(db, _kiosks_payment(db, device, payment_id))


@kiosk_router.post(
    "/{payment_id}/cancel", response_model=KioskPayment, responses=errors(401, 403, 404)
)
def cancel_payment(
    payment_id: str, request: Request, device: DeviceDep, db: SessionDep
) -> dict[str, Any]:
    """The citizen declined or walked away: the provider is asked once more, so a payment
    made a moment ago comes back PAID (print the receipt) rather than being dropped."""
    payment = _kiosks_payment(db, device, payment_id)
    charging.give_up(
        db,
        secret_key_of(request),
        settings_of(request),
        payment,
        PaymentStatus.CANCELLED,
        "kiosk",
        request.app.state.paytrail,
    )
    return kiosk_view(db, payment)


class AcceptIn(BaseModel):
    method: PaymentMethod = PaymentMethod.PHONE
    language: str = Field(default="fi", pattern=r"^(fi|sv|en)$")


@kiosk_router.post(
    "/{payment_id}/accept",
    response_model=KioskPayment,
    responses=errors(401, 403, 404, 409, 502),
)
def accept_payment(
    payment_id: str, body: AcceptIn, request: Request, device: DeviceDep, db: SessionDep
) -> dict[str, Any]:
    """The citizen accepts what the official asked for in the call: by phone it is
    opened at Suomi.fi Payments now (`pay_url`); by card the kiosk's terminal takes it
    and the kiosk reports (`/terminal`). Decline with `/cancel`."""
    payment = _kiosks_payment(db, device, payment_id)
    charging.accept(
        db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        payment,
        body.method,
        body.language,
        request.app.state.paytrail,
    )
    return kiosk_view(db, payment)


@kiosk_router.post(
    "/{payment_id}/terminal",
    response_model=KioskPayment,
    responses=errors(401, 403, 404, 409, 422),
)
def terminal_result(
    payment_id: str, body: TerminalResultIn, device: DeviceDep, db: SessionDep
) -> dict[str, Any]:
    """The card terminal's word on this kiosk's card payment; sent again after a crash
    or an outage, it changes nothing twice."""
    payment = _kiosks_payment(db, device, payment_id)
    if payment.method != PaymentMethod.CARD_TERMINAL:
        raise ApiError(409, "not_card_payment", "This payment is not a card payment.")
    charging.terminal_says(
        db,
        payment,
        body.approved and not body.reversed,
        body.amount_cents,
        body.poi_transaction_id,
        body.condition or ("reversed" if body.reversed else ""),
    )
    db.refresh(payment)
    return kiosk_view(db, payment)


# -- the provider -----------------------------------------------------------------------


@router.get("/payments/paytrail/callback", include_in_schema=False)
def paytrail_callback(request: Request, db: SessionDep) -> Response:
    """Suomi.fi Payments says how a payment went: signed with the paid organisation's
    secret, called late, twice or out of order (the ledger takes each word once)."""
    moved = _provider_notice(request, db, "callback")
    return Response(status_code=200 if moved else 400)


def _provider_notice(request: Request, db: Any, source: str) -> bool:
    params = dict(request.query_params)
    stamp = params.get("checkout-stamp", "")
    payment_id = stamp.split(":", 1)[0]  # a refund's stamp is "<payment>:<cents>"
    payment = db.get(Payment, payment_id) if payment_id else None
    if payment is None:
        return False
    merchant = charging.merchant_of(
        db, secret_key_of(request), settings_of(request), payment.org_id
    )
    notice = notice_from(merchant.secret, params)
    if notice is None:
        return False
    if ":" in stamp:
        return True  # a refund's result: recorded when the refund was asked for
    db.commit()
    return (
        ledger.provider_says(
            db, payment.id, notice.status, notice.transaction_id, notice.amount_cents, source
        )
        is not None
    )


@router.post("/payments/paytrail/report", include_in_schema=False)
async def paytrail_report(request: Request) -> dict[str, int]:
    """A settlement report Suomi.fi Payments posts when asked (`settlement-reports`):
    the address's key and the provider's signature checked; its lines kept once."""
    body = await request.body()
    params, headers = dict(request.query_params), dict(request.headers)
    sessions = request.app.state.sessions

    def take() -> int:
        with sessions() as db:
            return settlements.take_report(
                db, secret_key_of(request), settings_of(request), params, headers, body
            )

    return {"added": await run_in_threadpool(take)}


class ReportsIn(BaseModel):
    day: date
    org_id: str | None = Field(default=None, max_length=36)


@router.post("/payments/settlement-reports", responses=errors(401, 403, 404, 409, 502))
def settlement_reports(
    body: ReportsIn, request: Request, access: Access = Depends(allowed("payment.manage"))
) -> dict[str, int]:
    """Asks Suomi.fi Payments for the reports of the day's settlements not yet received;
    they arrive at central within moments and show in the reconciliation."""
    org = access.org(body.org_id or access.person.org_id or "")
    asked = settlements.ask_reports(
        access.db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        org.id,
        body.day.isoformat(),
        request.app.state.paytrail,
    )
    return {"asked": asked}


def phone_notice(request: Request, db: Any) -> bool:
    """The phone's return from the provider carries the same signed word."""
    return _provider_notice(request, db, "return")


# -- admins -----------------------------------------------------------------------------


def visible_payments(access: Access) -> Any:
    """Payments made to the caller's organisation or at its sites (every one: national)."""
    if access.is_national:
        return true()
    own_sites = select(Site.id).where(Site.org_id == access.person.org_id)
    return or_(Payment.org_id == access.person.org_id, Payment.site_id.in_(own_sites))


def payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "org_id": payment.org_id,
        "site_id": payment.site_id,
        "kiosk_id": payment.kiosk_id,
        "service_id": payment.service_id,
        "call_id": payment.call_id,
        "purpose": payment.purpose,
        "method": payment.method,
        "status": payment.status,
        "amount_cents": payment.amount_cents,
        "vat_cents": payment.vat_cents,
        "refunded_cents": payment.refunded_cents,
        "lines": payment.lines,
        "reason": payment.reason,
        "receipt_number": payment.receipt_number,
        "provider_ref": payment.provider_ref,
        "provider_status": payment.provider_status,
        "created_at": payment.created_at.isoformat(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
    }


@router.get("/payments", responses=errors(401, 403, 422))
def list_payments(
    day: date | None = Query(default=None, description="Made on this day (UTC)"),
    status: PaymentStatus | None = Query(default=None),
    limit: Count = Query(default=100, le=1000),
    access: Access = Depends(allowed("payment.read")),
) -> dict[str, Any]:
    query = select(Payment).where(visible_payments(access))
    if day is not None:
        start = datetime.combine(day, datetime.min.time()).replace(tzinfo=utcnow().tzinfo)
        query = query.where(
            Payment.created_at >= start, Payment.created_at < start + timedelta(days=1)
        )
    if status is not None:
        query = query.where(Payment.status == status)
    rows = access.db.scalars(query.order_by(Payment.created_at.desc()).limit(limit)).all()
    return {"items": [payment_out(p) for p in rows]}


@router.get("/payments/reconciliation", responses=errors(401, 403, 404, 422))
def reconciliation(
    request: Request,
    day: date = Query(description="The day, Finnish time"),
    org_id: str | None = Query(default=None, max_length=36, description="Default: your own"),
    format: str = Query(default="json", pattern="^(json|csv)$"),
    access: Access = Depends(allowed("payment.manage")),
) -> Any:
    """One day's payments of one organisation, ours against Suomi.fi Payments."""
    org = access.org(org_id or access.person.org_id or "")
    report = reconcile(
        access.db,
        secret_key_of(request),
        settings_of(request),
        org.id,
        day,
        request.app.state.paytrail,
    )
    if format == "csv":
        return reconciliation_file(report, org.name)
    return {
        "org_id": report.org_id,
        "day": report.day.isoformat(),
        "paid_cents": report.paid_cents,
        "vat_cents": report.vat_cents,
        "refunded_cents": report.refunded_cents,
        "settled_cents": report.settled_cents,
        "problems": report.problems,
        "unanswered": report.unanswered,
        "truncated": report.truncated,
        "lines": [line.__dict__ for line in report.lines],
    }


def reconciliation_file(report: Any, org_name: str) -> Response:
    """The day's reconciliation as a CSV download (the API's and the console's)."""
    return Response(
        reconciliation_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": content_disposition(
                f"reconciliation-{org_name}-{report.day.isoformat()}.csv"
            )
        },
    )


def reconciliation_csv(report: Any) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 with it
    writer = csv.writer(out)
    writer.writerow(
        [
            "receipt_number",
            "method",
            "purpose",
            "status",
            "amount_cents",
            "refunded_cents",
            "provider_status",
            "provider_amount_cents",
            "settled_cents",
            "settlement_reference",
            "problem",
        ]
    )
    for line in report.lines:
        writer.writerow(
            [
                line.receipt_number,
                line.method,
                line.purpose,
                line.status,
                line.amount_cents,
                line.refunded_cents,
                line.provider_status,
                "" if line.provider_amount_cents is None else line.provider_amount_cents,
                "" if line.settled_cents is None else line.settled_cents,
                line.settlement_reference,
                line.problem,
            ]
        )
    return out.getvalue()


def visible_payment(access: Access, payment_id: str) -> Payment:
    payment = access.db.scalar(
        select(Payment).where(Payment.id == payment_id, visible_payments(access))
    )
    if payment is None:
        raise not_found("payment")
    return payment


@router.get("/payments/{payment_id}", responses=errors(401, 403, 404))
def get_payment(
    payment_id: str, access: Access = Depends(allowed("payment.read"))
) -> dict[str, Any]:
    payment = visible_payment(access, payment_id)
    steps = access.db.scalars(
        select(PaymentStep).where(PaymentStep.payment_id == payment.id).order_by(PaymentStep.id)
    ).all()
    return {
        **payment_out(payment),
        "steps": [
            {
                "at": s.at.isoformat(),
                "source": s.source,
                "from": s.from_status,
                "to": s.to_status,
                "detail": s.detail,
            }
            for s in steps
        ],
    }


class RefundIn(BaseModel):
    amount_cents: int | None = Field(
        default=None, ge=1, le=99_999_999, description="None: all that is left"
    )


@router.post("/payments/{payment_id}/refund", responses=errors(401, 403, 404, 409, 422, 502))
def refund_payment(
    payment_id: str,
    body: RefundIn,
    request: Request,
    access: Access = Depends(allowed("payment.manage")),
) -> dict[str, Any]:
    """Only the paid organisation's admins refund (the money is theirs)."""
    payment = visible_payment(access, payment_id)
    if not access.may_touch_org(payment.org_id):
        raise forbidden("Only the organisation that was paid can refund.")
    amount = body.amount_cents or payment.amount_cents - payment.refunded_cents
    done = charging.refund(
        access.db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        payment,
        amount,
        request.app.state.paytrail,
    )
    return payment_out(done)
