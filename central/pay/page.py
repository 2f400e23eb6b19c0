"""Where Suomi.fi Payments sends the citizen's phone back: the signed word it carries
moves the payment (as a callback would: the ledger takes it once), and the page says
in plain words what happened and to go back to the kiosk. No script, nothing of the
payer; a forged or damaged address changes nothing and says so."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from central.api.deps import SessionDep
from central.api.payments import phone_notice
from central.db.models import Payment
from central.desk.strings import pick_language
from central.pay.strings import strings_for
from contract.payments import PaymentStatus, euros

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
router = APIRouter(prefix="/pay", include_in_schema=False)
OUTCOME = {
    PaymentStatus.PAID: "paid",
    PaymentStatus.REFUNDED: "paid",
    PaymentStatus.PENDING: "pending",
    PaymentStatus.OPEN: "pending",
}


@router.get("/return", response_class=HTMLResponse)
def returned(request: Request, db: SessionDep) -> HTMLResponse:
    language = pick_language(
        request.query_params.get("lang"), request.headers.get("accept-language", "")
    )
    payment = None
    if phone_notice(request, db):
        stamp = request.query_params.get("checkout-stamp", "")
        payment = db.get(Payment, stamp)
    outcome = OUTCOME.get(payment.status, "failed") if payment is not None else "unknown"
    nonce = secrets.token_urlsafe(12)
    html = templates.get_template("return.html").render(
        lang=language,
        t=strings_for(language),
        nonce=nonce,
        outcome=outcome,
        amount=euros(payment.amount_cents) if payment is not None else "",
    )
    return HTMLResponse(
        html,
        status_code=200 if payment is not None else 400,
        headers={
            "content-security-policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; "
                "base-uri 'none'; frame-ancestors 'none'"
            )
        },
    )
