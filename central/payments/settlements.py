"""Suomi.fi Payments' settlement reports: the provider's own account of what it paid out
to an organisation, one report per settlement, fetched for a day and kept line by line
for the reconciliation (`central/payments/reconciliation.py`).

The provider makes a report when asked and POSTs it to the callback address central
gives, signed like every answer of its API; the address carries a key only central can
make (an HMAC of the organisation and the settlement), so nobody else can post a report.
Only what reconciling needs is kept: the settlement, the payment's stamp and reference,
the amount. The report's payer fields are dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.db.models import SettlementLine
from central.errors import ApiError
from central.payments import charging
from central.payments.paytrail import Paytrail, PaytrailError, signed_correctly
from central.settings import Settings

log = logging.getLogger("central.payments")
REPORT_PATH = "/api/v1/payments/paytrail/report"
MAX_LINES = 50_000  # the provider's own limit per report


def report_key(key: bytes, org_id: str, settlement_id: str) -> str:
    message = f"settlement-report:{org_id}:{settlement_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def ask_reports(
    db: Session,
    key: bytes,
    settings: Settings,
    base: str,
    org_id: str,
    day: str,
    provider: charging.Provider = Paytrail,
) -> int:
    """Asks for the report of every settlement of `day` not yet received; how many."""
    client = provider(charging.merchant_of(db, key, settings, org_id))
    try:
        found = client.settlements(day)
    except PaytrailError as exc:
        raise ApiError(502, "payments_unavailable", f"Suomi.fi Payments: {exc}") from exc
    have = set(
        db.scalars(
            select(SettlementLine.settlement_id).where(SettlementLine.org_id == org_id).distinct()
        )
    )
    asked = 0
    for settlement in found:
        settlement_id = str(settlement.get("id", ""))
        if not settlement_id or settlement_id in have:
            continue
        query = urlencode(
            {
                "org": org_id,
                "settlement": settlement_id,
                "reference": str(settlement.get("settlementReference", ""))[:64],
                "on": str(settlement.get("settledAt", ""))[:10],
                "key": report_key(key, org_id, settlement_id),
            }
        )
        try:
            client.ask_settlement_report(settlement_id, f"{base}{REPORT_PATH}?{query}")
        except PaytrailError as exc:
            log.warning("settlement %s: no report asked: %s", settlement_id, exc)
            continue
        asked += 1
    db.commit()
    return asked


def take_report(
    db: Session,
    key: bytes,
    settings: Settings,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> int:
    """A report the provider posts: its address's key and the provider's signature
    checked, its lines kept once each; how many were new. ApiError(400) for anything
    that does not hold."""
    org_id, settlement_id = params.get("org", ""), params.get("settlement", "")
    expected = report_key(key, org_id, settlement_id)
    if not settlement_id or not hmac.compare_digest(params.get("key", ""), expected):
        raise ApiError(400, "invalid_report", "This report was not asked for.")
    merchant = charging.merchant_of(db, key, settings, org_id)
    text = body.decode("utf-8", "replace")
    if not signed_correctly(merchant.secret, {k.lower(): v for k, v in headers.items()}, text):
        raise ApiError(400, "invalid_report", "The report's signature does not hold.")
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "invalid_report", "The report is not JSON.") from exc
    if not isinstance(rows, list):
        raise ApiError(400, "invalid_report", "The report is not a list of payments.")
    added = 0
    for row in rows[:MAX_LINES]:
        line = _line(row, org_id, settlement_id, params)
        if line is None:
            continue
        try:
            with db.begin_nested():
                db.add(line)
                db.flush()
            added += 1
        except IntegrityError:
            continue  # sent twice: kept once
    db.commit()
    return added


def _line(
    row: Any, org_id: str, settlement_id: str, params: dict[str, str]
) -> SettlementLine | None:
    if not isinstance(row, dict) or not row.get("stamp"):
        return None
    try:
        cents = int((Decimal(str(row.get("amount", "0"))) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return None
    return SettlementLine(
        org_id=org_id,
        settlement_id=settlement_id,
        settlement_reference=str(row.get("settlementReference") or params.get("reference", ""))[
            :64
        ],
        settled_on=str(params.get("on", ""))[:10],
        stamp=str(row["stamp"])[:200],
        reference=str(row.get("reference", ""))[:200],
        amount_cents=cents,
    )
