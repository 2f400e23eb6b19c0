"""A local stand-in for Suomi.fi Payments (the Paytrail Payment API), written from
Paytrail's public documentation, for tests, the demo and the benchmark.

What it does as the real one does: every request's `signature` header is checked (the
`checkout-` headers and the body, HMAC-SHA256/512 with the merchant's secret; a nonce
used twice is refused) and every answer is signed the same way; `POST /payments`
opens a payment (its amount must be its items' sum) and answers with a transaction id
and the hosted page's `href`; `GET /payments/{id}` tells its status; `POST
/payments/{id}/refund` refunds; `GET /settlements` lists settlements, and
`POST /settlements/{id}/payments/report` posts the settlement's payments to the given
callback, signed. The phone's return and the callbacks carry the signed `checkout-`
query parameters.

What a test drives (not Paytrail's: under `/_standin/`): `POST
/_standin/pay/{id}?status=ok|fail|pending|delayed` settles a payment as the citizen
would on their phone, and says how its callbacks go: `delay_s` (late) and `words`
(the statuses the callbacks carry, in order: `pending,ok,ok,pending` is one sent twice
and a stale one after). It answers with the signed return address the phone is sent
to. `GET /_standin/ledger` is its books.

Standard library only; `python -m devtools.paytrail_standin` runs one on loopback
with the documented test merchant (375917 / SAIPPUAKAUPPIAS).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from central.payments.paytrail import signature, signed_correctly

TEST_MERCHANT = ("375917", "SAIPPUAKAUPPIAS")  # Paytrail's documented test account


@dataclass
class Transaction:
    id: str
    account: str
    stamp: str
    reference: str
    amount: int
    items: list[dict[str, Any]]
    redirect: dict[str, str]
    callback: dict[str, str]
    status: str = "new"
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    paid_at: str | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    callbacks_sent: list[str] = field(default_factory=list)
    settlement_id: str = ""  # the payout that included it


class Standin:
    """The provider's books and its HTTP server on loopback."""

    def __init__(self, merchants: dict[str, str] | None = None, port: int = 0) -> None:
        self.merchants = dict(merchants or {TEST_MERCHANT[0]: TEST_MERCHANT[1]})
        self.transactions: dict[str, Transaction] = {}
        self.nonces: set[str] = set()
        self.refused: list[str] = []  # why requests were refused, for tests to read
        self.settlements: list[dict[str, Any]] = []
        self.reports_sent: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Standin:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what the citizen's phone and the provider do ---------------------------------

    def params(self, tx: Transaction, status: str) -> dict[str, str]:
        """The signed query parameters of a return or a callback."""
        fields = {
            "checkout-account": tx.account,
            "checkout-algorithm": "sha256",
            "checkout-amount": str(tx.amount),
            "checkout-stamp": tx.stamp,
            "checkout-reference": tx.reference,
            "checkout-transaction-id": tx.id,
            "checkout-status": status,
            "checkout-provider": "standin",
        }
        fields["signature"] = signature(self.merchants[tx.account], fields)
        return fields

    def settle(
        self,
        transaction_id: str,
        status: str,
        delay_s: float = 0.0,
        words: list[str] | None = None,
    ) -> str:
        """The citizen pays (ok) or gives up (fail); callbacks as asked. Returns the
        signed address the phone is sent back to."""
        with self.lock:
            tx = self.transactions[transaction_id]
            tx.status = status
            if status == "ok":
                tx.paid_at = datetime.now(UTC).isoformat()
        target = tx.callback["success" if status == "ok" else "cancel"]
        sends = words or [status]

        def deliver() -> None:
            if delay_s:
                time.sleep(delay_s)
            for word in sends:
                self._call_back(tx, target, word)

        threading.Thread(target=deliver, daemon=True).start()
        page = tx.redirect["success" if status == "ok" else "cancel"]
        return _with_query(page, self.params(tx, status))

    def _call_back(self, tx: Transaction, target: str, status: str) -> None:
        url = _with_query(target, self.params(tx, status))
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
                result = str(answer.status)
        except OSError as exc:
            result = f"error: {exc}"
        with self.lock:
            tx.callbacks_sent.append(f"{status}:{result}")

    def settle_paid(self, account: str = TEST_MERCHANT[0], skip: int = 0) -> dict[str, Any]:
        """A payout of the account's paid transactions not yet settled (the provider does
        this daily); `skip` leaves the last ones out, as a payout cut-off would."""
        with self.lock:
            due = [
                t
                for t in self.transactions.values()
                if t.account == account and t.status == "ok" and not t.settlement_id
            ]
            due = due[: len(due) - skip] if skip else due
            number = len(self.settlements) + 1
            settlement = {
                "id": 1000 + number,
                "account": account,
                "createdAt": datetime.now(UTC).isoformat(),
                "settledAt": datetime.now(UTC).date().isoformat(),
                "settlementReference": f"{7000 + number}",
            }
            for t in due:
                t.settlement_id = str(settlement["id"])
            self.settlements.append(settlement)
            return settlement

    def send_report(self, settlement_id: str, callback: str) -> None:
        """The settlement's payments, POSTed as Paytrail's report callback: signed like
        its answers, payer fields included (central must drop them)."""
        with self.lock:
            found = [s for s in self.settlements if str(s["id"]) == settlement_id]
            if not found:
                return
            settlement = found[0]
            rows = [
                {
                    "entryDate": t.created_at[:10],
                    "amount": f"{(t.amount - sum(r['amount'] for r in t.refunds)) / 100:.2f}",
                    "status": "Settled",
                    "firstname": "Mikko",
                    "familyname": "Mallikas",
                    "reference": t.reference,
                    "stamp": t.stamp,
                    "settlementId": settlement["id"],
                    "settlementDate": settlement["settledAt"],
                    "settlementReference": settlement["settlementReference"],
                }
                for t in self.transactions.values()
                if t.settlement_id == settlement_id
            ]
            secret = self.merchants[str(settlement["account"])]
        body = json.dumps(rows, separators=(",", ":"))
        headers = {
            "checkout-account": str(settlement["account"]),
            "checkout-algorithm": "sha256",
            "checkout-method": "POST",
            "checkout-nonce": uuid.uuid4().hex,
            "checkout-timestamp": datetime.now(UTC).isoformat(),
        }
        headers["signature"] = signature(secret, headers, body)
        request = urllib.request.Request(
            callback, data=body.encode(), headers={**headers, "content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
                result = str(answer.status)
        except OSError as exc:
            result = f"error: {exc}"
        with self.lock:
            self.reports_sent.append(f"{settlement_id}:{result}")

    def ledger(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "transactionId": t.id,
                    "stamp": t.stamp,
                    "reference": t.reference,
                    "amount": t.amount,
                    "status": t.status,
                    "refunded": sum(r["amount"] for r in t.refunds),
                    "callbacks": list(t.callbacks_sent),
                }
                for t in self.transactions.values()
            ]


def _with_query(url: str, params: dict[str, str]) -> str:
    joiner = "&" if "?" in url else "?"
    return url + joiner + urllib.parse.urlencode(params)


def _handler(standin: Standin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet in tests
            return

        # -- plumbing ---------------------------------------------------------------

        def _answer(self, status: int, body: Any, account: str = "") -> None:
            text = json.dumps(body, separators=(",", ":")) if body is not None else ""
            headers = {
                "checkout-account": account,
                "checkout-algorithm": "sha256",
                "checkout-method": self.command,
                "checkout-nonce": uuid.uuid4().hex,
                "checkout-timestamp": datetime.now(UTC).isoformat(),
            }
            secret = standin.merchants.get(account)
            self.send_response(status)
            if secret is not None:
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("signature", signature(secret, headers, text))
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("request-id", uuid.uuid4().hex)
            data = text.encode()
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _refuse(self, status: int, why: str, account: str = "") -> None:
            with standin.lock:
                standin.refused.append(why)
            self._answer(status, {"status": "error", "message": why}, account)

        def _signed_request(self) -> tuple[str, str] | None:
            """(account, body) of a request signed with a known merchant's secret."""
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            headers = {k.lower(): v for k, v in self.headers.items()}
            account = headers.get("checkout-account", "")
            secret = standin.merchants.get(account)
            if secret is None:
                self._refuse(401, "unknown merchant")
                return None
            if not signed_correctly(secret, headers, body):
                self._refuse(401, "signature does not match", account)
                return None
            if headers.get("checkout-method") != self.command:
                self._refuse(401, "checkout-method is not the request's", account)
                return None
            nonce = headers.get("checkout-nonce", "")
            with standin.lock:
                if not nonce or nonce in standin.nonces:
                    replay = True
                else:
                    standin.nonces.add(nonce)
                    replay = False
            if replay:
                self._refuse(401, "nonce missing or used before", account)
                return None
            return account, body

        # -- the API ------------------------------------------------------------------

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            path = urllib.parse.urlparse(self.path).path
            if path.startswith("/pay/"):
                self._hosted_choice(path.rsplit("/", 1)[1])
                return
            if path.startswith("/_standin/pay/"):
                self._test_settle(path.rsplit("/", 1)[1])
                return
            signed = self._signed_request()
            if signed is None:
                return
            account, body = signed
            try:
                data = json.loads(body) if body else {}
            except ValueError:
                self._refuse(400, "body is not JSON", account)
                return
            if path == "/payments":
                self._create(account, data)
            elif path.startswith("/payments/") and path.endswith("/refund"):
                self._refund(account, path.split("/")[2], data)
            elif path.startswith("/settlements/") and path.endswith("/payments/report"):
                settlement_id, callback = path.split("/")[2], str(data.get("callbackUrl", ""))
                threading.Thread(
                    target=standin.send_report, args=(settlement_id, callback), daemon=True
                ).start()
                self._answer(200, {"requestId": uuid.uuid4().hex}, account)
            else:
                self._refuse(404, "no such endpoint", account)

        def do_GET(self) -> None:  # noqa: N802
            path = urllib.parse.urlparse(self.path).path
            if path == "/_standin/ledger":
                self._answer(200, standin.ledger())
                return
            if path.startswith("/pay/"):
                self._hosted_page(path.rsplit("/", 1)[1])
                return
            signed = self._signed_request()
            if signed is None:
                return
            account, _body = signed
            if path.startswith("/payments/"):
                tx = standin.transactions.get(path.split("/")[2])
                if tx is None or tx.account != account:
                    self._refuse(404, "no such payment", account)
                    return
                self._answer(
                    200,
                    {
                        "transactionId": tx.id,
                        "status": tx.status,
                        "amount": tx.amount,
                        "currency": "EUR",
                        "stamp": tx.stamp,
                        "reference": tx.reference,
                        "createdAt": tx.created_at,
                        "href": f"{standin.base}/pay/{tx.id}",
                        "provider": "standin",
                        "paidAt": tx.paid_at,
                    },
                    account,
                )
            elif path == "/settlements":
                with standin.lock:
                    found = [
                        {k: v for k, v in s.items() if k != "account"}
                        for s in standin.settlements
                        if s["account"] == account
                    ]
                self._answer(200, found, account)
            else:
                self._refuse(404, "no such endpoint", account)

        def _create(self, account: str, data: dict[str, Any]) -> None:
            try:
                amount = int(data["amount"])
                items = list(data["items"])
                total = sum(int(i["unitPrice"]) * int(i["units"]) for i in items)
                stamp, reference = str(data["stamp"]), str(data["reference"])
                redirect, callback = dict(data["redirectUrls"]), dict(data["callbackUrls"])
                if data.get("currency") != "EUR" or not data.get("customer", {}).get("email"):
                    raise ValueError("currency EUR and customer.email are required")
            except (KeyError, TypeError, ValueError) as exc:
                self._refuse(400, f"invalid payment: {exc}", account)
                return
            if total != amount:
                self._refuse(400, "amount is not the sum of the items", account)
                return
            with standin.lock:
                if any(
                    t.stamp == stamp and t.account == account for t in standin.transactions.values()
                ):
                    duplicate = True
                else:
                    duplicate = False
                    tx = Transaction(
                        str(uuid.uuid4()),
                        account,
                        stamp,
                        reference,
                        amount,
                        items,
                        redirect,
                        callback,
                    )
                    standin.transactions[tx.id] = tx
            if duplicate:
                self._refuse(400, "stamp used before", account)
                return
            self._answer(
                201,
                {
                    "transactionId": tx.id,
                    "href": f"{standin.base}/pay/{tx.id}",
                    "reference": reference,
                    "terms": "",
                    "groups": [],
                    "providers": [],
                },
                account,
            )

        def _refund(self, account: str, transaction_id: str, data: dict[str, Any]) -> None:
            with standin.lock:
                tx = standin.transactions.get(transaction_id)
                if tx is None or tx.account != account:
                    missing = True
                else:
                    missing = False
                    left = tx.amount - sum(r["amount"] for r in tx.refunds)
                    amount = int(data.get("amount", 0))
                    if tx.status != "ok" or not 0 < amount <= left:
                        refused = True
                    else:
                        refused = False
                        tx.refunds.append(
                            {"amount": amount, "stamp": str(data.get("refundStamp", ""))}
                        )
            if missing:
                self._refuse(404, "no such payment", account)
            elif refused:
                self._refuse(400, "nothing to refund", account)
            else:
                self._answer(
                    201,
                    {"provider": "standin", "status": "ok", "transactionId": str(uuid.uuid4())},
                    account,
                )

        def _hosted_page(self, transaction_id: str) -> None:
            """The hosted payment page a phone opens from the kiosk's QR code: a test
            bank's two buttons, as Paytrail's test providers offer."""
            tx = standin.transactions.get(transaction_id)
            if tx is None:
                self._html(404, "<p>No such payment.</p>")
                return
            euros = f"{tx.amount / 100:.2f}".replace(".", ",")
            self._html(
                200,
                f"<h1>Suomi.fi-maksut (testi)</h1><p>{euros} €</p>"
                f'<form method="post"><button name="status" value="ok">Maksa</button>'
                f'<button name="status" value="fail">Peruuta</button></form>',
            )

        def _hosted_choice(self, transaction_id: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if transaction_id not in standin.transactions:
                self._html(404, "<p>No such payment.</p>")
                return
            back = standin.settle(transaction_id, "ok" if form.get("status") == "ok" else "fail")
            self.send_response(303)
            self.send_header("location", back)
            self.send_header("content-length", "0")
            self.end_headers()

        def _html(self, status: int, body: str) -> None:
            data = (
                '<!doctype html><html lang="fi"><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width"><title>Maksu</title>'
                f"<body>{body}</body></html>"
            ).encode()
            self.send_response(status)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _test_settle(self, transaction_id: str) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
            if transaction_id not in standin.transactions:
                self._answer(404, {"message": "no such payment"})
                return
            page = standin.settle(
                transaction_id,
                query.get("status", "ok"),
                float(query.get("delay_s", "0")),
                [w for w in query.get("words", "").split(",") if w] or None,
            )
            self._answer(200, {"return_url": page})

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    standin = Standin(port=args.port).start()
    print(f"Suomi.fi Payments stand-in on {standin.base} (merchant {TEST_MERCHANT[0]})")
    try:
        standin.thread.join()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
