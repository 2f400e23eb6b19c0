"""Payments, for admins: one day's payments made to the organisation or at its sites,
each with its steps, refunds (after confirming), one day's reconciliation against Suomi.fi
Payments with CSV, and a site's prices for pages printed and copied. The rules are the
API's (api/payments.py, central/payments/)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central.api.deps import secret_key_of, settings_of
from central.api.payments import reconciliation_file, visible_payment, visible_payments
from central.console.i18n import translations
from central.console.render import HELSINKI, render
from central.console.viewer import N_, Viewer, form_fields, viewer
from central.db.models import Organisation, Payment, PaymentStep, Price, Site
from central.errors import ApiError, forbidden
from central.payments import charging, prices, settlements
from central.payments.reconciliation import day_bounds, reconcile
from central.web.links import public_base
from contract.payments import PaymentStatus, PriceKind, euros

router = APIRouter(include_in_schema=False)
SHOWN = 500
REFUNDING = N_("The money goes back to the payer through Suomi.fi Payments. This cannot be undone.")
REFUND = N_("Refund")


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return datetime.now(HELSINKI).date()


def _hundredths(text: str) -> int | None:
    """'12,50' or '12.50' as hundredths: euros as cents, a VAT percentage as basis
    points; None for what is no number."""
    cleaned = text.strip().replace(",", ".").replace("€", "").strip()
    try:
        value = round(float(cleaned) * 100)
    except ValueError:
        return None
    return value if 0 <= value <= 99_999_999 else None


@router.get("/console/payments")
def payments_page(request: Request, seen: Viewer = Depends(viewer("payment.read"))) -> Response:
    db = seen.access.db
    day = _day(request.query_params.get("day"))
    status = request.query_params.get("status", "")
    start, end = day_bounds(day)
    query = (
        select(Payment, Site.name, Organisation.name)
        .outerjoin(Site, Site.id == Payment.site_id)
        .outerjoin(Organisation, Organisation.id == Payment.org_id)
        .where(visible_payments(seen.access), Payment.created_at >= start, Payment.created_at < end)
    )
    if status in {s.value for s in PaymentStatus}:
        query = query.where(Payment.status == status)
    rows = db.execute(query.order_by(Payment.created_at).limit(SHOWN)).all()
    paid = [p for p, _, _ in rows if p.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)]
    sites = seen.access.choices("sites")
    price_site = request.query_params.get("prices") or (sites[0][0] if sites else "")
    shown_prices = page_prices(db, price_site) if price_site in dict(sites) else {}
    db.commit()
    return render(
        request,
        seen.page,
        "payments.html",
        payments=[
            {"p": p, "site": site or "–", "org": org or "–", "amount": euros(p.amount_cents)}
            for p, site, org in rows
        ],
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        chosen=status,
        statuses=[s.value for s in PaymentStatus],
        total=euros(sum(p.amount_cents for p in paid)),
        vat=euros(sum(p.vat_cents for p in paid)),
        refunded=euros(sum(p.refunded_cents for p in paid)),
        sites=sites,
        price_site=price_site,
        page_price=shown_prices,
        may_manage=seen.access.may("payment.manage"),
    )


@router.get("/console/payments/reconciliation")
def reconciliation_page(
    request: Request, seen: Viewer = Depends(viewer("payment.manage"))
) -> Response:
    db = seen.access.db
    day = _day(request.query_params.get("day"))
    orgs = seen.access.choices("orgs")
    org_id = (
        request.query_params.get("org") or seen.access.person.org_id or (orgs[0][0] if orgs else "")
    )
    org = seen.access.org(org_id)
    report = reconcile(
        db, secret_key_of(request), settings_of(request), org.id, day, request.app.state.paytrail
    )
    if request.query_params.get("format") == "csv":
        return reconciliation_file(report, org.name)
    return render(
        request,
        seen.page,
        "reconciliation.html",
        report=report,
        org=org,
        orgs=orgs,
        day=day,
        euros=euros,
        asked=request.query_params.get("asked", ""),
    )


@router.post("/console/payments/reconciliation/reports")
def fetch_reports(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("payment.manage")),
) -> Response:
    """Asks Suomi.fi Payments for the day's settlement reports; they arrive in moments."""
    day = _day(fields.get("day"))
    org = seen.access.org(fields.get("org") or seen.access.person.org_id or "")
    asked = settlements.ask_reports(
        seen.access.db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        org.id,
        day.isoformat(),
        request.app.state.paytrail,
    )
    query = urlencode({"day": day.isoformat(), "org": org.id, "asked": asked})
    return RedirectResponse(f"/console/payments/reconciliation?{query}", status_code=303)


@router.get("/console/payments/{payment_id}")
def payment_page(
    payment_id: str, request: Request, seen: Viewer = Depends(viewer("payment.read"))
) -> Response:
    db = seen.access.db
    payment = visible_payment(seen.access, payment_id)
    steps = db.scalars(
        select(PaymentStep).where(PaymentStep.payment_id == payment.id).order_by(PaymentStep.id)
    ).all()
    site = db.get(Site, payment.site_id) if payment.site_id else None
    org = db.get(Organisation, payment.org_id)
    db.commit()
    return render(
        request,
        seen.page,
        "payment.html",
        p=payment,
        steps=steps,
        site=site.name if site else "–",
        org=org.name if org else "–",
        euros=euros,
        left=euros(payment.amount_cents - payment.refunded_cents),
        may_refund=seen.access.may("payment.manage")
        and seen.access.may_touch_org(payment.org_id)
        and payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)
        and payment.refunded_cents < payment.amount_cents,
        done=request.query_params.get("done", ""),
    )


@router.post("/console/payments/{payment_id}/refund")
def refund(
    payment_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("payment.manage")),
) -> Response:
    payment = visible_payment(seen.access, payment_id)
    if not seen.access.may_touch_org(payment.org_id):
        raise forbidden(N_("Only the organisation that was paid can refund."))
    left = payment.amount_cents - payment.refunded_cents
    amount = _hundredths(fields.get("amount", "")) if fields.get("amount") else left
    if amount is None:
        raise ApiError(422, "invalid_amount", N_("Type the amount in euros, like 12,50."))
    if fields.get("confirmed") != "1":
        words = translations(seen.page.language)
        return render(
            request,
            seen.page,
            "confirm.html",
            heading=words.gettext("Refund %(amount)s?") % {"amount": euros(amount)},
            alert=REFUNDING,
            items=[f"{payment.receipt_number}: {euros(payment.amount_cents)}"],
            fields={"amount": f"{amount / 100:.2f}"},
            confirmed=1,
            dangerous=True,
            button=REFUND,
            target=f"/console/payments/{payment.id}/refund",
            back=f"/console/payments/{payment.id}",
        )
    charging.refund(
        seen.access.db,
        secret_key_of(request),
        settings_of(request),
        public_base(request),
        payment,
        amount,
        request.app.state.paytrail,
    )
    return RedirectResponse(f"/console/payments/{payment.id}?done=refunded", status_code=303)


@router.post("/console/payments/prices")
def set_page_prices(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("payment.manage")),
) -> Response:
    """A site's prices for a printed and a copied A4 page (VAT 25.5 % by default);
    service fees stay as they are. Empty: no price (not sold at the kiosk)."""
    db = seen.access.db
    site = seen.access.site(fields.get("site", ""))
    vat = _hundredths(fields.get("vat", "25,5"))
    if vat is None or vat > 10_000:
        raise ApiError(422, "invalid_price", N_("The VAT rate is a percentage, like 25,5."))
    kept: list[Price] = [p for p in prices.list_of(db, site.id) if p.kind == PriceKind.SERVICE]
    rows: list[Price] = []
    for kind in (PriceKind.PRINT_PAGE, PriceKind.COPY_PAGE):
        text = fields.get(kind.value, "").strip()
        if not text:
            continue
        cents = _hundredths(text)
        if cents is None:
            raise ApiError(422, "invalid_price", N_("Type the price in euros, like 0,50."))
        rows.append(
            Price(
                site_id=site.id,
                kind=kind,
                service_id="",
                org_id=site.org_id,
                amount_cents=cents,
                vat_basis_points=vat,
            )
        )
    for old in prices.list_of(db, site.id):
        if old not in kept:
            db.delete(old)
    db.flush()
    db.add_all(rows)
    db.commit()
    return RedirectResponse(f"/console/payments?prices={site.id}", status_code=303)


def page_prices(db: Any, site_id: str) -> dict[str, str]:
    return {
        p.kind.value: f"{p.amount_cents / 100:.2f}".replace(".", ",")
        for p in prices.list_of(db, site_id)
        if p.kind != PriceKind.SERVICE
    }
