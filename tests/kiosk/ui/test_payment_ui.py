"""Paying a service's fee by phone in the real Kivy UI under Xvfb, against a real central
on loopback and the Suomi.fi Payments stand-in (devtools/paytrail_standin.py): the price
shown before anything is charged, the QR code read back from a screenshot and paid
through the stand-in as a phone would, the receipt printed on the simulated ESC/POS
printer with its VAT lines; then, in Swedish with large text, a payment the citizen
cancels. By card on the nexo stand-in; and a page scanned on SANE's test backend,
copied for a price paid by card, reaching a private cupsd's A4 queue. Screenshots in
test-artifacts/ui/payment-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.builders import sample_catalogue, service_ids
from devtools.central_server import start_central
from devtools.central_world import Org, add_user, make_org, ok
from devtools.payment_world import FEE_CENTS, take_payments
from devtools.paytrail_standin import Standin
from tests.support.cups import cups_available
from tests.support.own_process import in_fresh_process

pytestmark = pytest.mark.slow  # the UI in its own process, a central beside it

SERVICE = service_ids()[0]


@dataclass
class Facts:
    base: str
    standin: str
    org: Org
    folder: Path


def _pays_a_fee_and_cancels_one(facts: Facts) -> None:
    import cv2
    import requests
    import zxingcpp

    from tests.support.kiosk_ui_call import kiosk_ui

    ui = kiosk_ui(facts.base, facts.org, facts.folder)
    ui.opened("printer")
    printer = ui.app.devices.simulations["printer"]
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("service", service_id=SERVICE)
    fee = ui.find("Pay the fee (12,50 €)", 20)
    ui.screenshot("payment-service-fee")
    ui.tap(fee)
    screen = ui.app.loaded["payment"]
    assert "To pay: 12,50 €" in screen.summary and "VAT 0 % included" in screen.summary
    assert "Nothing is charged" in screen.message
    ui.screenshot("payment-confirm")
    ui.tap(ui.find("Pay by phone"))
    assert ui.wait_until(lambda: screen.phase == "qr", 20), screen.message
    # Paying takes as long as the phone takes: no idle timeout meanwhile.
    ui.advance(300)
    assert ui.app.warning is None and screen.phase == "qr" and ui.app.session.active
    ui.settle()
    shot = ui.screenshot("payment-qr")
    [code] = zxingcpp.read_barcodes(cv2.imread(str(shot)))
    assert code.text == screen.payment.pay_url and code.text.startswith(facts.standin + "/pay/")

    # The citizen pays on their phone: the stand-in settles it and calls central back.
    transaction = code.text.rsplit("/", 1)[1]
    paid = requests.post(
        f"{facts.standin}/_standin/pay/{transaction}", params={"status": "ok"}, timeout=10
    )
    assert paid.status_code == 200
    assert ui.wait_until(lambda: screen.phase == "paid", 20), screen.message
    assert ui.wait_until(lambda: "Take your receipt" in screen.message, 20), screen.message
    ui.screenshot("payment-paid")
    receipt = bytes(printer.printed).decode("cp858", "replace")
    number = screen.payment.receipt_number
    for words in ("Receipt", "Järvenpää", number, "12,50 €", "VAT 0 %: 0,00 €", "Total: 12,50 €"):
        assert words in receipt, (words, receipt)
    [(_, _, started)] = ui.outbox("payment_started")
    assert started == {"method": "phone", "purpose": "service_fee", "amount_cents": FEE_CENTS}
    [(_, _, completed)] = ui.outbox("payment_completed")
    assert completed["amount_cents"] == FEE_CENTS
    assert number not in str(ui.outbox())  # the receipt's number is not usage data
    ui.app.end_session("done")
    assert ui.wait_until(lambda: screen.payment is None and screen.summary == "", 10)

    # In Swedish, with large text: the citizen changes their mind while the QR is shown.
    ui.app.start_session()
    ui.app.set_language("sv")
    ui.app.large_text = True
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Betala avgiften (12,50 €)", 20))
    ui.tap(ui.find("Betala med telefon"))
    assert ui.wait_until(lambda: screen.phase == "qr", 20), screen.message
    ui.screenshot("payment-qr-sv-large")
    ui.tap(ui.find("Avbryt betalningen"))
    assert ui.wait_until(lambda: screen.phase == "unpaid", 20), screen.message
    assert "Ingenting debiterades" in screen.message
    ui.screenshot("payment-cancelled-sv-large")
    [(_, _, failed)] = ui.outbox("payment_failed")
    assert failed["outcome"] == "cancelled"
    ui.stop()


@contextmanager
def paying_town(tmp_path: Path) -> Iterator[tuple[Any, Standin, Org]]:
    """Central with the Suomi.fi Payments stand-in, and a town whose site offers the
    service, with prices and a merchant account."""
    standin = Standin().start()
    central = start_central(f"sqlite:///{tmp_path}/central.db", paytrail_url=standin.base)
    try:
        national = add_user(central, "national_admin", None)
        ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
        org = make_org(central, national, name="Järvenpää")
        body = {"service_ids": [SERVICE]}
        ok(central.request("PUT", f"/sites/{org.site_id}/catalogue", national, json=body))
        take_payments(central, org, SERVICE)
        yield central, standin, org
    finally:
        central.stop()
        standin.stop()


def test_a_fee_is_paid_by_phone_and_the_receipt_printed(tmp_path):
    with paying_town(tmp_path) as (central, standin, org):
        in_fresh_process(
            _pays_a_fee_and_cancels_one, Facts(central.base, standin.base, org, tmp_path)
        )
        books = {t["reference"]: t for t in standin.ledger()}
        listed = ok(central.request("GET", "/payments", org.tokens["org_admin"]))["items"]
        # Central's records and the provider's books agree: one paid, one never paid.
        assert sorted(p["status"] for p in listed) == ["cancelled", "paid"]
        for payment in listed:
            kept = books[payment["receipt_number"]]
            assert kept["amount"] == payment["amount_cents"] == FEE_CENTS
            assert (kept["status"] == "ok") == (payment["status"] == "paid")


def _pays_by_card(facts: Facts) -> None:
    from devtools.nexo_terminal import MASKED_PAN, NexoStandin
    from tests.support.kiosk_ui_call import kiosk_ui

    terminal = NexoStandin().start()  # in this process: the test sets how it behaves
    terminal.behaviour = "slow:1.0"  # the citizen takes a moment with the card and PIN
    ui = kiosk_ui(facts.base, facts.org, facts.folder, payment_terminal=terminal.spec)
    ui.opened("printer")
    printer = ui.app.devices.simulations["printer"]
    ui.app.device("payment_terminal").refresh_status()
    ui.app.start_session()
    ui.app.set_language("fi")
    ui.app.large_text = True
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Maksa maksu (12,50 €)", 20))
    screen = ui.app.loaded["payment"]
    ui.tap(ui.find("Maksa kortilla"))
    assert ui.wait_until(lambda: screen.phase == "card", 20), screen.message
    ui.screenshot("payment-card-fi-large")
    assert ui.wait_until(lambda: screen.phase == "paid", 20), screen.message
    assert ui.wait_until(lambda: "Ota kuitti" in screen.message, 20), screen.message
    receipt = bytes(printer.printed).decode("cp858", "replace")
    assert "Maksettu kortilla" in receipt and "12,50 €" in receipt
    assert MASKED_PAN not in receipt and "4242" not in receipt
    [charged] = terminal.charged().values()
    assert charged == FEE_CENTS
    ui.app.end_session("done")

    # The card is declined: said plainly, nothing charged, the citizen may pay by phone.
    terminal.behaviour = "decline"
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.large_text = False
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Pay the fee (12,50 €)", 20))
    ui.tap(ui.find("Pay by card"))
    assert ui.wait_until(lambda: screen.phase == "unpaid", 20), screen.message
    assert screen.message == "The card was declined. Nothing was charged."
    ui.screenshot("payment-card-declined")
    ui.app.end_session("done")

    # The terminal is switched off: a fault in the heartbeat's devices, no card button.
    terminal.stop()
    ui.app.device("payment_terminal").refresh_status()
    assert ui.app.device("payment_terminal").state == "offline"
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("service", service_id=SERVICE)
    ui.tap(ui.find("Pay the fee (12,50 €)", 20))
    ui.settle()
    assert "Pay by card" not in [b.text for b in ui.buttons()]
    assert "Pay by phone" in [b.text for b in ui.buttons()]
    assert "The card terminal is not working right now" in screen.message
    ui.screenshot("payment-no-terminal")
    failed = [d for _, _, d in ui.outbox("device_fault")]
    assert {"device": "payment_terminal/terminal", "state": "offline"} in failed
    ui.stop()


def test_a_fee_is_paid_by_card_on_the_terminal(tmp_path):
    with paying_town(tmp_path) as (central, standin, org):
        in_fresh_process(_pays_by_card, Facts(central.base, standin.base, org, tmp_path))
        listed = ok(central.request("GET", "/payments", org.tokens["org_admin"]))["items"]
        assert sorted((p["method"], p["status"]) for p in listed) == [
            ("card_terminal", "failed"),
            ("card_terminal", "paid"),
        ]


def _copies_paid_by_card(facts: Facts) -> None:
    from devtools.nexo_terminal import NexoStandin
    from tests.support.cups import private_cups
    from tests.support.kiosk_ui_call import kiosk_ui

    terminal = NexoStandin().start()
    with private_cups() as (server, received, _env):
        ui = kiosk_ui(
            facts.base,
            facts.org,
            facts.folder,
            scanner="sim",
            a4_printer=f"cups:a4@{server}",
            payment_terminal=terminal.spec,
        )
        ui.opened("printer")
        ui.app.device("payment_terminal").refresh_status()
        ui.app.start_session()
        ui.app.set_language("en")
        ui.app.go("scan")
        scan = ui.app.loaded["scan"]
        ui.tap(ui.find("Scan a page", 20))
        assert ui.wait_until(lambda: scan.pages == 1 and not scan.busy, 60), scan.status
        assert ui.wait_until(lambda: scan.copy_text == "Copy on paper (0,40 €)", 20), scan.copy_text
        ui.screenshot("payment-copy-offered")
        ui.tap(ui.find("Copy on paper (0,40 €)"))
        screen = ui.app.loaded["payment"]
        assert "1 × A4 page, copied" in screen.summary and "To pay: 0,40 €" in screen.summary
        ui.tap(ui.find("Pay by card"))
        assert ui.wait_until(lambda: screen.phase == "paid", 20), screen.message
        assert ui.wait_until(lambda: "Take your copies" in screen.message, 60), screen.message
        ui.screenshot("payment-copy-paid")
        assert bytes(received).startswith(b"\x89PNG")  # the scanned page, as CUPS sent it
        [(_, _, printed)] = ui.outbox("document_printed")
        assert printed == {"pages": 1}
        ui.stop()
    terminal.stop()


@pytest.mark.skipif(
    not cups_available(), reason="needs cupsd (./run test installs it) and root to start it"
)
def test_copies_are_paid_for_and_then_printed(tmp_path):
    with paying_town(tmp_path) as (central, standin, org):
        in_fresh_process(_copies_paid_by_card, Facts(central.base, standin.base, org, tmp_path))
        [paid] = ok(central.request("GET", "/payments", org.tokens["org_admin"]))["items"]
        assert (paid["purpose"], paid["status"], paid["amount_cents"]) == ("copy", "paid", 40)
