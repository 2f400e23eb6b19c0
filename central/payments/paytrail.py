"""Suomi.fi Payments through the Paytrail Payment API: signing, the calls central makes
(create, get, refund), and checking what comes back (responses, the phone's return and
the provider's callbacks).

The signature, per Paytrail's documentation: HMAC-SHA256 (or -SHA512) with the
merchant's secret over every `checkout-` header (or query parameter), lowercase, in
alphabetical order as `key:value`, then the body exactly as sent ("" without one),
joined by line feeds. Responses are signed the same way, and must be checked: an
unsigned "ok" is no payment. Standard library and `requests` only: the stand-in in
devtools/paytrail_standin.py uses the same `signature` to check central's requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
TIMEOUT_S = (3.05, 10.0)  # connect, read


class PaytrailError(Exception):
    """The provider could not be asked, refused, or answered without a valid signature."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def signature(secret: str, fields: Mapping[str, str], body: str = "", algorithm: str = "") -> str:
    """The HMAC of the `checkout-` fields (headers or query parameters) and the body."""
    chosen = algorithm or fields.get("checkout-algorithm", "sha256")
    digest = ALGORITHMS.get(chosen)
    if digest is None:
        raise PaytrailError(f"unknown signature algorithm {chosen!r}")
    lines = [
        f"{key}:{fields[key]}" for key in sorted(k for k in fields if k.startswith("checkout-"))
    ]
    payload = "\n".join([*lines, body])
    return hmac.new(secret.encode(), payload.encode(), digest).hexdigest()


def signed_correctly(secret: str, fields: Mapping[str, str], body: str = "") -> bool:
    """True when `fields["signature"]` is the signature of the rest (constant time)."""
    given = fields.get("signature", "")
    try:
        expected = signature(secret, {k.lower(): v for k, v in fields.items()}, body)
    except PaytrailError:
        return False
    return bool(given) and hmac.compare_digest(given, expected)


@dataclass(frozen=True)
class Notice:
    """A signed word from the provider about one payment: the phone's return or a
    callback (their query parameters are the same)."""

    stamp: str  # ours: the payment's id
    transaction_id: str
    status: str  # ok | pending | delayed | fail
    amount_cents: int


def notice_from(secret: str, params: Mapping[str, str]) -> Notice | None:
    """The notice, when its signature holds; None for anything forged or damaged."""
    if not signed_correctly(secret, params):
        return None
    try:
        return Notice(
            stamp=params["checkout-stamp"],
            transaction_id=params.get("checkout-transaction-id", ""),
            status=params["checkout-status"],
            amount_cents=int(params.get("checkout-amount", "0")),
        )
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Merchant:
    base_url: str  # https://services.paytrail.com
    account: str
    secret: str


class Paytrail:
    """The calls central makes, each signed, each with a timeout, each answer checked."""

    def __init__(self, merchant: Merchant, http: requests.Session | None = None) -> None:
        self.merchant = merchant
        self.http = http or requests.Session()

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, transaction: str = ""
    ) -> Any:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False) if body else ""
        headers = {
            "checkout-account": self.merchant.account,
            "checkout-algorithm": "sha256",
            "checkout-method": method,
            "checkout-nonce": uuid.uuid4().hex,
            "checkout-timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if transaction:
            headers["checkout-transaction-id"] = transaction
        headers["signature"] = signature(self.merchant.secret, headers, text)
        if text:
            headers["content-type"] = "application/json; charset=utf-8"
        try:
            answer = self.http.request(
                method,
                self.merchant.base_url.rstrip("/") + path,
                data=text.encode() if text else None,
                headers=headers,
                timeout=TIMEOUT_S,
            )
        except requests.RequestException as exc:
            raise PaytrailError(f"Suomi.fi Payments did not answer: {exc}") from exc
        returned = {k.lower(): v for k, v in answer.headers.items()}
        if answer.status_code >= 400:
            raise PaytrailError(
                f"Suomi.fi Payments refused ({answer.status_code}): {answer.text[:200]}",
                answer.status_code,
            )
        if not signed_correctly(self.merchant.secret, returned, answer.text):
            raise PaytrailError("Suomi.fi Payments' answer was not signed with our secret")
        try:
            return answer.json() if answer.text else {}
        except ValueError as exc:
            raise PaytrailError("Suomi.fi Payments' answer was not JSON") from exc

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /payments → {transactionId, href, reference, …}."""
        found = self._call("POST", "/payments", body)
        if not isinstance(found, dict) or not found.get("transactionId") or not found.get("href"):
            raise PaytrailError("Suomi.fi Payments' answer had no transaction or address")
        return found

    def get(self, transaction_id: str) -> dict[str, Any]:
        """GET /payments/{transactionId} → {status, amount, stamp, …}."""
        found = self._call("GET", f"/payments/{transaction_id}", transaction=transaction_id)
        if not isinstance(found, dict) or "status" not in found:
            raise PaytrailError("Suomi.fi Payments' status answer had no status")
        return found

    def settlements(self, day: str) -> list[dict[str, Any]]:
        """GET /settlements?startDate=&endDate= → [{id, createdAt, settledAt,
        settlementReference}]: the day's payouts to the merchant."""
        found = self._call("GET", f"/settlements?startDate={day}&endDate={day}")
        return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []

    def ask_settlement_report(self, settlement_id: str, callback_url: str) -> None:
        """POST /settlements/{id}/payments/report: the provider POSTs the settlement's
        payments to `callback_url` once it has made the report."""
        self._call(
            "POST",
            f"/settlements/{settlement_id}/payments/report",
            {"requestType": "json", "callbackUrl": callback_url},
        )

    def refund(self, transaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /payments/{transactionId}/refund → {status, transactionId, provider}."""
        found = self._call(
            "POST", f"/payments/{transaction_id}/refund", body, transaction=transaction_id
        )
        return found if isinstance(found, dict) else {}
