"""The official asks for a payment during a real call (Janus, coturn, the Kivy UI under
Xvfb, the Suomi.fi Payments stand-in): the call screen shows the amount, the VAT and the
reason while the call goes on; the citizen pays by phone from the QR code read back from
a screenshot, and the receipt prints; a second request the citizen declines; then a
document the official shows is printed on a private cupsd's A4 queue once its pages
are paid for (the site prices printed pages). The
official's desk sees how each stands. Screenshots in test-artifacts/ui/call-pay-*.png."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.central_world import Org
from devtools.payment_world import take_payments
from devtools.paytrail_standin import Standin
from tests.calls.conftest import built_call_world
from tests.support.cups import cups_available
from tests.support.own_process import in_fresh_process

pytestmark = pytest.mark.slow


@dataclass
class Facts:
    central: str
    standin: str
    org: Org
    service: str
    official_token: str


def pay_in_a_call(facts: Facts, tmp_path: Path) -> None:
    from tests.support.cups import private_cups

    with private_cups() as (server, received, _env):
        _pay_in_a_call(facts, tmp_path, server, received)


def _pay_in_a_call(facts: Facts, tmp_path: Path, server: str, received: bytearray) -> None:
    import cv2
    import requests
    import zxingcpp

    from tests.support.kiosk_ui_call import kiosk_ui, official_api

    desk = official_api(facts.central, facts.official_token)
    from devtools.sample_document import sample_pdf

    ui = kiosk_ui(facts.central, facts.org, tmp_path, a4_printer=f"cups:a4@{server}")
    ui.opened("printer")
    printer = ui.app.devices.simulations["printer"]
    desk("PUT", "/desk/presence", json={"presence": "available"})
    ui.app.start_session()
    ui.app.set_language("en")
    ui.app.go("call", service_id=facts.service)
    call = ui.app.screen("call")
    assert ui.wait_until(lambda: call.can_call, 20), call.check_text
    ui.tap("Start the call")
    assert ui.wait_until(lambda: call.view.call_id and call.view.status, 20)
    desk("POST", f"/desk/calls/{call.view.call_id}/accept")
    assert ui.wait_until(lambda: call.phase == "in_call", 20)

    body = {"amount_cents": 2250, "vat_basis_points": 0, "reason": "Certificate"}
    desk("POST", f"/desk/calls/{call.view.call_id}/payments", json=body)
    assert ui.wait_until(lambda: call.phase == "pay", 20), call.phase
    assert "Certificate: 22,50 €" in call.pay_text and "VAT 0 % included" in call.pay_text
    ui.screenshot("call-pay-asked")
    ui.tap("Pay by phone")
    assert ui.wait_until(lambda: call.pay_qr_shown, 20), call.pay_text
    ui.settle()
    shot = ui.screenshot("call-pay-qr")
    [code] = zxingcpp.read_barcodes(cv2.imread(str(shot)))
    assert code.text.startswith(facts.standin + "/pay/")
    transaction = code.text.rsplit("/", 1)[1]
    paid = requests.post(
        f"{facts.standin}/_standin/pay/{transaction}", params={"status": "ok"}, timeout=10
    )
    assert paid.status_code == 200
    assert ui.wait_until(lambda: call.phase == "in_call" and "Paid" in call.note, 20), call.note
    assert ui.wait_until(lambda: b"22,50" in bytes(printer.printed), 20)
    receipt = bytes(printer.printed).decode("cp858", "replace")
    assert "Certificate" in receipt and "VAT 0 %: 0,00 €" in receipt
    ui.screenshot("call-pay-paid")

    desk("POST", f"/desk/calls/{call.view.call_id}/payments", json={**body, "reason": "Copy"})
    assert ui.wait_until(lambda: call.phase == "pay", 20), call.phase
    ui.tap("Do not pay")
    assert ui.wait_until(lambda: call.phase == "in_call", 20)
    assert call.note == "You did not pay. Nothing was charged."
    statuses = desk("GET", f"/desk/calls/{call.view.call_id}")["payments"]
    assert [(p["reason"], p["status"]) for p in statuses] == [
        ("Certificate", "paid"),
        ("Copy", "cancelled"),
    ]
    outbox = str(ui.outbox())
    assert "payment_completed" in outbox and "Certificate" not in outbox

    # The official shows a two-page document; printing it costs 2 × 0,50 € here.
    http = requests.Session()
    http.trust_env = False
    shown = http.post(
        f"{facts.central}/api/v1/desk/calls/{call.view.call_id}/documents",
        params={"name": "Hakemus.pdf"},
        data=sample_pdf(),
        headers={
            "Authorization": f"Bearer {facts.official_token}",
            "Content-Type": "application/pdf",
        },
        timeout=30,
    )
    assert shown.status_code == 201, shown.text
    assert ui.wait_until(lambda: call.phase == "document", 20), call.phase
    ui.tap("Print")
    assert ui.wait_until(lambda: call.phase == "pay", 20), call.phase
    assert "Printing costs 1,00 € (2 pages)." in call.pay_text
    ui.screenshot("call-pay-print")
    ui.tap("Pay by phone")
    assert ui.wait_until(lambda: call.pay_qr_shown, 20), call.pay_text
    link = call._payment.pay_url
    requests.post(
        f"{facts.standin}/_standin/pay/{link.rsplit('/', 1)[1]}",
        params={"status": "ok"},
        timeout=10,
    )
    assert ui.wait_until(lambda: call.phase == "document", 20), call.phase
    assert ui.wait_until(lambda: bytes(received).startswith(b"%PDF"), 30)
    assert ui.wait_until(lambda: "Take your printout" in call.pages.page_text, 20)
    ui.tap("Back to the video")
    ui.tap("End call")
    assert ui.wait_until(lambda: call.phase == "ended", 20)
    ui.stop()


@pytest.mark.skipif(
    not cups_available(), reason="needs cupsd (./run test installs it) and root to start it"
)
def test_an_official_asks_for_a_payment_and_the_citizen_pays_by_phone(tmp_path, display):
    standin = Standin().start()
    try:
        with built_call_world(tmp_path, paytrail_url=standin.base) as world:
            take_payments(world.central, world.org)
            facts = Facts(
                world.central.base, standin.base, world.org, world.service, world.official_token
            )
            in_fresh_process(pay_in_a_call, facts, tmp_path)
    finally:
        standin.stop()
