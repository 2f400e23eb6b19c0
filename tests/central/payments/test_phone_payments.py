"""Payment by phone through Suomi.fi Payments, against the stand-in written from the
Paytrail Payment API's documentation (devtools/paytrail_standin.py) over real HTTP on
loopback, on SQLite and PostgreSQL: signatures checked both ways, callbacks late, twice
and out of order, the phone's return, expiry, the kiosk giving up, refunds, and the
boundaries between kiosks and organisations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from central.db.engine import session_scope
from central.db.models import Payment, PaymentStep
from central.db.types import utcnow
from central.payments import charging
from central.payments.paytrail import signature
from contract.payments import vat_in
from devtools.builders import service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, make_org, ok
from devtools.payment_world import FEE_CENTS, PAGE_CENTS, take_payments, wait_for_status
from devtools.paytrail_standin import TEST_MERCHANT, Standin
from devtools.waiting import wait_for

SERVICE = service_ids()[0]
# A central and a provider stand-in of the module's own: the full run's (the fast tier
# keeps the signing, tests/central/payments/test_paytrail_signing.py).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def standin() -> Iterator[Standin]:
    running = Standin().start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def central(database_url: str, standin: Standin) -> Iterator[RunningCentral]:
    running = start_central(database_url, paytrail_url=standin.base, payment_check_every_s=3600)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(central: RunningCentral):
    national = add_user(central, "national_admin", None)
    org = make_org(central, national, name="Järvenpää")
    take_payments(central, org, SERVICE)
    other = make_org(central, national, name="Naapuri")  # another organisation and kiosk
    return org, other


def pay(central, org, **body) -> dict:
    return ok(central.request("POST", "/kiosk/payments", org.device_token, json=body), 201)


def steps(central, payment_id: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    with session_scope(central.app.state.sessions) as db:
        rows = db.scalars(
            select(PaymentStep).where(PaymentStep.payment_id == payment_id).order_by(PaymentStep.id)
        ).all()
        return [(str(r.from_status), str(r.to_status)) for r in rows]


def settle(standin: Standin, payment: dict, status: str, **how) -> str:
    transaction = next(t for t in standin.ledger() if t["stamp"] == payment["id"])
    answer = requests.post(
        f"{standin.base}/_standin/pay/{transaction['transactionId']}",
        params={"status": status, **how},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()["return_url"]


def test_pages_priced_paid_by_phone_with_callbacks_twice_and_out_of_order(central, standin, world):
    org, _other = world
    made = pay(central, org, purpose="print", pages=3, language="en")
    assert made["status"] == "open" and made["method"] == "phone"
    assert made["amount_cents"] == 3 * PAGE_CENTS
    assert made["vat_cents"] == vat_in(3 * PAGE_CENTS, 2550) == 30
    [line] = made["lines"]
    assert (line["units"], line["unit_cents"], line["vat_basis_points"]) == (3, PAGE_CENTS, 2550)
    assert made["pay_url"].startswith(standin.base + "/pay/")
    assert made["organisation"] == "Järvenpää" and len(made["receipt_number"]) == 10
    # The provider has it, for that amount, under our receipt number; its signature on
    # central's request held (the stand-in refuses anything else).
    [opened] = [t for t in standin.ledger() if t["stamp"] == made["id"]]
    assert opened["amount"] == 150 and opened["reference"] == made["receipt_number"]
    assert standin.refused == []

    # Callbacks: "pending", "delayed", then "ok" twice, then a stale "pending": one move
    # each way.
    settle(standin, made, "ok", words="pending,delayed,ok,ok,pending")
    paid = wait_for_status(central, org, made["id"], "paid")
    assert paid["status"] == "paid" and paid["pay_url"] == ""
    mine = lambda: next(t for t in standin.ledger() if t["stamp"] == made["id"])  # noqa: E731
    assert wait_for(lambda: len(mine()["callbacks"]) == 5, 10), mine()
    assert steps(central, made["id"]) == [("open", "pending"), ("pending", "paid")]
    assert wait_for_status(central, org, made["id"], "paid")["status"] == "paid"


def test_the_phones_return_page_says_paid_and_a_forged_one_changes_nothing(central, standin, world):
    org, _other = world
    made = pay(central, org, purpose="service_fee", service_id=SERVICE, language="fi")
    assert made["amount_cents"] == FEE_CENTS and made["vat_cents"] == 0
    back = settle(standin, made, "ok", delay_s="30")  # the callback comes late: the page first
    page = requests.get(back.replace("http://127.0.0.1", "http://localhost"), timeout=10)
    assert page.status_code == 200 and "Maksu on vastaanotettu" in page.text
    assert "12,50 €" in page.text
    assert wait_for_status(central, org, made["id"], "paid")["status"] == "paid"

    # A return address with its amount changed, or signed with another secret: refused.
    other = pay(central, org, purpose="copy", pages=1)
    transaction = next(t for t in standin.ledger() if t["stamp"] == other["id"])
    params = {
        "checkout-account": TEST_MERCHANT[0],
        "checkout-algorithm": "sha256",
        "checkout-amount": str(other["amount_cents"]),
        "checkout-stamp": other["id"],
        "checkout-reference": other["receipt_number"],
        "checkout-transaction-id": transaction["transactionId"],
        "checkout-status": "ok",
    }
    forged = {**params, "signature": signature("not-the-secret", params)}
    for query in (
        forged,
        {**params, "signature": signature(TEST_MERCHANT[1], params), "checkout-amount": "1"},
    ):
        page = central.http.get(f"{central.base}/pay/return", params=query, timeout=10)
        assert page.status_code == 400 and "Maksua ei löytynyt" in page.text
        callback = central.http.get(
            f"{central.base}/api/v1/payments/paytrail/callback", params=query, timeout=10
        )
        assert callback.status_code == 400
    assert wait_for_status(central, org, other["id"], "paid", 0.5)["status"] == "open"
    assert steps(central, other["id"]) == []


def test_a_payment_nobody_pays_expires_and_a_late_ok_is_still_recorded(central, standin, world):
    org, _other = world
    made = pay(central, org, purpose="copy", pages=2)
    key, settings = central.app.state.secret_key, central.app.state.settings
    with session_scope(central.app.state.sessions) as db:
        db.get(Payment, made["id"]).expires_at = utcnow() - timedelta(seconds=1)
    with session_scope(central.app.state.sessions) as db:
        assert charging.expire_once(db, key, settings, utcnow()) >= 1
    assert wait_for_status(central, org, made["id"], "expired", 0)["status"] == "expired"
    # The citizen paid after all (their phone was slow): the money is recorded.
    settle(standin, made, "ok")
    assert wait_for_status(central, org, made["id"], "paid")["status"] == "paid"
    assert steps(central, made["id"]) == [("open", "expired"), ("expired", "paid")]


def test_the_kiosk_giving_up_asks_the_provider_first(central, standin, world):
    org, _other = world
    declined = pay(central, org, purpose="print", pages=1)
    gone = ok(central.request("POST", f"/kiosk/payments/{declined['id']}/cancel", org.device_token))
    assert gone["status"] == "cancelled"
    # Paid on the phone a moment before the citizen pressed Cancel; the callback is late.
    paid = pay(central, org, purpose="print", pages=2)
    settle(standin, paid, "ok", delay_s="30")
    kept = ok(central.request("POST", f"/kiosk/payments/{paid['id']}/cancel", org.device_token))
    assert kept["status"] == "paid"


def test_refunds_go_through_the_provider_and_only_the_paid_organisation_may(
    central, standin, world
):
    org, other = world
    made = pay(central, org, purpose="print", pages=4)
    settle(standin, made, "ok")
    wait_for_status(central, org, made["id"], "paid")
    admin, stranger = org.tokens["org_admin"], other.tokens["org_admin"]
    path = f"/payments/{made['id']}"
    assert central.request("POST", f"{path}/refund", stranger, json={}).status_code == 404
    assert central.request("GET", path, stranger).status_code == 404
    listed = ok(central.request("GET", "/payments", stranger))["items"]
    assert made["id"] not in [p["id"] for p in listed]
    part = ok(central.request("POST", f"{path}/refund", admin, json={"amount_cents": 50}))
    assert part["status"] == "refunded" and part["refunded_cents"] == 50
    rest = ok(central.request("POST", f"{path}/refund", admin, json={}))
    assert rest["refunded_cents"] == 4 * PAGE_CENTS
    too_much = central.request("POST", f"{path}/refund", admin, json={"amount_cents": 1})
    assert too_much.status_code == 422
    [books] = [t for t in standin.ledger() if t["stamp"] == made["id"]]
    assert books["refunded"] == 4 * PAGE_CENTS
    detail = ok(central.request("GET", path, admin))
    assert [s["to"] for s in detail["steps"]] == ["paid", "refunded", "refunded"]
    assert "card" not in str(detail).lower()


def test_another_kiosk_sees_nothing_of_a_payment(central, standin, world):
    """An attacker with a valid kiosk token of another organisation: 404 with nothing of
    the payment in the bytes, and no way to cancel it."""
    org, other = world
    made = pay(central, org, purpose="print", pages=1)
    for method, suffix in (("GET", ""), ("POST", "/cancel")):
        answer = central.request(
            method, f"/kiosk/payments/{made['id']}{suffix}", other.device_token
        )
        assert answer.status_code == 404
        for secret in (made["receipt_number"], made["pay_url"], str(made["amount_cents"])):
            assert secret not in answer.text
    assert wait_for_status(central, org, made["id"], "open", 0)["status"] == "open"


def test_bad_requests_get_clear_errors_and_an_unreachable_provider_charges_nothing(
    central, standin, world
):
    org, other = world
    no_price = central.request(
        "POST",
        "/kiosk/payments",
        org.device_token,
        json={"purpose": "service_fee", "service_id": "x"},
    )
    assert no_price.status_code == 404 and no_price.json()["error"]["code"] == "no_price"
    pages = central.request(
        "POST", "/kiosk/payments", org.device_token, json={"purpose": "print", "pages": 0}
    )
    assert pages.status_code == 422
    # The other organisation has prices but no account: said plainly.
    admin = other.tokens["org_admin"]
    items = [{"kind": "print_page", "amount_cents": 20, "vat_basis_points": 2550}]
    ok(central.request("PUT", f"/sites/{other.site_id}/prices", admin, json={"items": items}))
    unset = central.request(
        "POST", "/kiosk/payments", other.device_token, json={"purpose": "print", "pages": 1}
    )
    assert unset.status_code == 409 and unset.json()["error"]["code"] == "payments_not_configured"
    # A price for another organisation without an agreement here: refused.
    bad = [
        {
            "kind": "service",
            "service_id": SERVICE,
            "amount_cents": 100,
            "vat_basis_points": 0,
            "org_id": org.id,
        }
    ]
    refused = central.request("PUT", f"/sites/{other.site_id}/prices", admin, json={"items": bad})
    assert refused.status_code == 422 and "agreement" in refused.json()["error"]["message"]


def test_a_provider_that_does_not_answer_leaves_nothing_charged(database_url, tmp_path):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    central = start_central(database_url, paytrail_url=f"http://127.0.0.1:{port}")
    try:
        national = add_user(central, "national_admin", None)
        org = make_org(central, national, name="Tuusula")
        take_payments(central, org)
        answer = central.request(
            "POST", "/kiosk/payments", org.device_token, json={"purpose": "print", "pages": 1}
        )
        assert answer.status_code == 502
        assert answer.json()["error"]["code"] == "payments_unavailable"
        listed = ok(central.request("GET", "/payments", org.tokens["org_admin"]))["items"]
        assert [p["status"] for p in listed] == ["failed"]
    finally:
        central.stop()


def test_a_days_reconciliation_finds_and_heals_disagreements(central, standin, world):
    """Ours against the provider's word for one day: a payment whose callbacks never came
    is recorded from the provider's status; one we call paid that the provider never
    took is flagged; CSV for the same rows."""
    org, other = world
    lost = pay(central, org, purpose="print", pages=1)
    settle(standin, lost, "ok", words="none")  # paid; the only callback is a bogus word
    wrong = pay(central, org, purpose="print", pages=2)
    with session_scope(central.app.state.sessions) as db:
        db.get(Payment, wrong["id"]).status = "paid"  # as a bug would have it
    admin = org.tokens["org_admin"]
    day = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Europe/Helsinki")).date()
    report = ok(
        central.request("GET", "/payments/reconciliation", admin, params={"day": day.isoformat()})
    )
    problems = {line["receipt_number"]: line["problem"] for line in report["lines"]}
    assert problems[lost["receipt_number"]] == "recorded_now"
    assert problems[wrong["receipt_number"]] == "paid_here_not_there"
    assert central_status_of(central, admin, lost["id"]) == "paid"
    assert report["problems"] >= 2 and report["unanswered"] == 0
    csv_text = central.request(
        "GET",
        "/payments/reconciliation",
        admin,
        params={"day": day.isoformat(), "format": "csv"},
    ).text
    assert csv_text.startswith("\ufeffreceipt_number,") and wrong["receipt_number"] in csv_text
    # Another organisation's admin cannot reconcile this one.
    refused = central.request(
        "GET",
        "/payments/reconciliation",
        other.tokens["org_admin"],
        params={"day": day.isoformat(), "org_id": org.id},
    )
    assert refused.status_code == 403 and lost["receipt_number"] not in refused.text


def central_status_of(central, token: str, payment_id: str) -> str:
    return ok(central.request("GET", f"/payments/{payment_id}", token))["status"]


def test_the_providers_settlement_reports_come_into_the_reconciliation(central, standin, world):
    """The day's settlements asked for; the provider posts each report signed to the
    address central gave; its lines show in the reconciliation (the payer fields of the
    report are not kept), a forged or unasked report is refused, and a payment paid here
    but left out of the payout is flagged as not settled."""
    from sqlalchemy import select

    from central.db.models import SettlementLine

    org, other = world
    settled = pay(central, org, purpose="print", pages=3)
    settle(standin, settled, "ok")
    wait_for_status(central, org, settled["id"], "paid")
    later = pay(central, org, purpose="print", pages=1)
    settle(standin, later, "ok")
    wait_for_status(central, org, later["id"], "paid")
    standin.settle_paid(skip=1)  # the last payment misses this payout
    admin = org.tokens["org_admin"]
    day = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Europe/Helsinki")).date()
    asked = ok(
        central.request(
            "POST", "/payments/settlement-reports", admin, json={"day": day.isoformat()}
        )
    )
    assert asked["asked"] >= 1
    reported = lambda: any(r.endswith(":200") for r in standin.reports_sent)  # noqa: E731
    assert wait_for(reported, 10), standin.reports_sent
    report = ok(
        central.request("GET", "/payments/reconciliation", admin, params={"day": day.isoformat()})
    )
    lines = {line["receipt_number"]: line for line in report["lines"]}
    assert lines[settled["receipt_number"]]["settled_cents"] == 3 * PAGE_CENTS
    assert lines[settled["receipt_number"]]["settlement_reference"]
    assert lines[later["receipt_number"]]["settled_cents"] is None
    with session_scope(central.app.state.sessions) as db:
        kept = db.scalars(select(SettlementLine)).all()
        assert kept and all("Mallikas" not in str(vars(x)) for x in kept)
    # Asked again: nothing new to ask for; a forged report is refused.
    again = ok(
        central.request(
            "POST", "/payments/settlement-reports", admin, json={"day": day.isoformat()}
        )
    )
    assert again["asked"] == 0
    forged = central.http.post(
        f"{central.base}/api/v1/payments/paytrail/report",
        params={"org": org.id, "settlement": "1", "key": "0" * 32},
        data=b"[]",
        timeout=10,
    )
    assert forged.status_code == 400
    refused = central.request(
        "POST",
        "/payments/settlement-reports",
        other.tokens["org_admin"],
        json={"day": day.isoformat(), "org_id": org.id},
    )
    assert refused.status_code == 403
