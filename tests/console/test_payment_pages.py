"""Payments in the console, in Chromium with axe-core, against a real central and the
Suomi.fi Payments stand-in: an admin sees the day's payments with their totals, opens
one with its steps, refunds part of it after confirming (the stand-in's books show it),
reconciles the day (a payment whose callbacks never came is recorded from the
provider's word) and downloads the CSV, and sets the site's page prices. Another
municipality's admin, posting the refund with a valid session of their own, refunds
nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.payment_world import take_payments
from devtools.paytrail_standin import Standin
from tests.console.conftest import ConsoleWorld, add_person, log_in, look, signed_in_as

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[ConsoleWorld]:
    standin = Standin().start()
    central = start_central(database_url, paytrail_url=standin.base)
    central.standin = standin  # type: ignore[attr-defined]
    national = add_user(central, "national_admin", None)
    a = make_org(central, national, name="Järvenpää")
    b = make_org(central, national, name="Tuusula")
    take_payments(central, a)
    tag = re.sub(r"\W", "", database_url)[-6:]
    emails = {
        "admin_a": add_person(central, f"pay-admin-a-{tag}@example.fi", "org_admin", a.id),
        "admin_b": add_person(central, f"pay-admin-b-{tag}@example.fi", "org_admin", b.id),
    }
    yield ConsoleWorld(central, national, a, b, emails)
    central.stop()
    standin.stop()


def paid(world, pages: int, words: str = "") -> dict:
    central, a = world.central, world.a
    made = ok(
        central.request(
            "POST", "/kiosk/payments", a.device_token, json={"purpose": "print", "pages": pages}
        ),
        201,
    )
    transaction = made["pay_url"].rsplit("/", 1)[1]
    params = {"status": "ok", **({"words": words} if words else {})}
    requests.post(f"{central.standin.base}/_standin/pay/{transaction}", params=params, timeout=10)
    return made


def test_an_admin_sees_refunds_and_reconciles_the_days_payments(console, world):
    central = world.central
    first = paid(world, 4)
    lost = paid(world, 1, words="none")  # the provider took it; its callback never came
    for _ in range(100):
        if (
            ok(central.request("GET", f"/payments/{first['id']}", world.a.tokens["org_admin"]))[
                "status"
            ]
            == "paid"
        ):
            break
    log_in(console, world, "admin_a", "/console/payments")
    table = console.inner_text("table.payments")
    assert first["receipt_number"] in table and "2,00 €" in table
    assert "Paid: 2,00 €" in console.inner_text("#totals")
    look(console, "payments")

    console.click(f"text={first['receipt_number']}")
    console.wait_for_url(f"**/console/payments/{first['id']}")
    assert "paid" in console.inner_text("#status")
    look(console, "payment")
    console.fill("#r-amount", "0,50")
    console.click("#refund")
    assert "Refund 0,50 €?" in console.inner_text("h1")
    look(console, "payment-refund-confirm")
    console.click("#confirm")
    console.wait_for_url(f"**/console/payments/{first['id']}?done=refunded")
    assert console.inner_text("#refunded") == "0,50 €"
    [books] = [t for t in central.standin.ledger() if t["stamp"] == first["id"]]
    assert books["refunded"] == 50

    # Another municipality's admin posts the refund form with their own session: nothing.
    with signed_in_as(console, world, "admin_b", "/console/payments") as attacker:
        answer = attacker.page.request.post(
            f"{central.base}/console/payments/{first['id']}/refund",
            form={"csrf": attacker.csrf, "amount": "1,00", "confirmed": "1"},
        )
        assert answer.status in (403, 404) and first["receipt_number"] not in answer.text()
    [books] = [t for t in central.standin.ledger() if t["stamp"] == first["id"]]
    assert books["refunded"] == 50

    console.goto(f"{central.base}/console/payments")
    console.click("#reconcile")
    console.wait_for_url("**/console/payments/reconciliation**")
    table = console.inner_text("table.reconciliation")
    assert "paid at the provider: recorded now" in table and lost["receipt_number"] in table
    look(console, "payments-reconciliation")
    # The provider's payout of what was paid, its report fetched into the same page.
    central.standin.settle_paid()
    console.click("#fetch-reports")
    console.wait_for_url("**asked=*")
    assert "Settlement reports asked for: 1" in console.inner_text("#asked")
    for _ in range(50):
        if any(r.endswith(":200") for r in central.standin.reports_sent):
            break
        console.wait_for_timeout(100)
    console.reload()
    row = console.locator("table.reconciliation tr", has_text=first["receipt_number"])
    assert "1,50 €" in row.inner_text()  # 2,00 € paid, 0,50 € refunded: 1,50 € paid out
    look(console, "payments-reconciliation-settled")
    csv_link = console.get_attribute("#csv", "href")
    csv_text = console.request.get(f"{central.base}{csv_link}").text()
    assert lost["receipt_number"] in csv_text and csv_text.startswith("\ufeffreceipt_number")
    status = ok(central.request("GET", f"/payments/{lost['id']}", world.a.tokens["org_admin"]))
    assert status["status"] == "paid"


def test_an_admin_sets_the_sites_page_prices(console, world):
    central = world.central
    log_in(console, world, "admin_a", "/console/payments")
    console.fill("#pr-print", "0,80")
    console.fill("#pr-copy", "")
    console.click("#save-prices")
    console.wait_for_url("**/console/payments?prices=*")
    assert console.input_value("#pr-print") == "0,80" and console.input_value("#pr-copy") == ""
    look(console, "payments-prices")
    listed = ok(
        central.request("GET", f"/sites/{world.a.site_id}/prices", world.a.tokens["org_admin"])
    )["items"]
    assert [(p["kind"], p["amount_cents"], p["vat_basis_points"]) for p in listed] == [
        ("print_page", 80, 2550)
    ]
    console.fill("#pr-print", "kahdeksan")
    console.click("#save-prices")
    assert "like 0,50" in console.inner_text("main")
