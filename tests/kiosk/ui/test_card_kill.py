"""SIGKILL of the kiosk UI (Kivy under Xvfb) at random moments of card payments, 50 times,
against a real central and the nexo terminal stand-in: each start settles what the kill
left (kiosk/card_payment.py, called from the app at start), and afterwards every payment
is either taken once and recorded as paid, or not taken (or taken back) and not recorded
as paid; the terminal's books agree with central's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.central_server import start_central
from devtools.central_world import Org, add_user, make_org, ok
from devtools.nexo_terminal import NexoStandin
from devtools.payment_world import PAGE_CENTS, take_payments

pytestmark = pytest.mark.slow

KILLS = 50


def ui_drill(central: str, token: str, kiosk_id: str, site_id: str, spec: str, folder: str) -> None:
    """The kiosk's UI paying for printed pages by card, one payment after another, until
    it is killed. Its start settles what the previous run left."""
    from tests.support.kiosk_ui_call import kiosk_ui

    org = Org(id="", site_id=site_id, tokens={}, kiosk_id=kiosk_id, device_token=token)
    ui = kiosk_ui(central, org, Path(folder), payment_terminal=spec)
    ui.opened("printer")
    ui.app.settle_card_payments().join(30)  # the start's settling, done before paying
    ui.app.device("payment_terminal").refresh_status()
    screen = ui.app.screen("payment")
    print("ready", flush=True)
    while True:
        ui.app.start_session()
        ui.app.set_language("en")
        ui.app.go(
            "payment", purpose="print", pages=1, amount_cents=PAGE_CENTS, vat_basis_points=2550
        )
        ui.tap(ui.find("Pay by card", 10))
        ui.wait_until(lambda: screen.phase in ("paid", "unpaid", "problem"), 30)
        ui.app.end_session("done")


def _start(central, org, spec: str, folder: Path) -> subprocess.Popen[str]:
    code = "import sys; from tests.kiosk.ui.test_card_kill import ui_drill; ui_drill(*sys.argv[1:])"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            central.base,
            org.device_token,
            org.kiosk_id,
            org.site_id,
            spec,
            str(folder),
        ],
        env=os.environ | {"KIVY_NO_ARGS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def test_the_ui_killed_50_times_in_card_payments_charges_once_or_not_at_all(display, tmp_path):
    terminal = NexoStandin().start()
    terminal.behaviour = "slow:0.3"  # the citizen's card and PIN take a moment
    central = start_central(f"sqlite:///{tmp_path}/central.db")
    try:
        national = add_user(central, "national_admin", None)
        org = make_org(central, national, name="Järvenpää")
        take_payments(central, org)
        rng = random.Random(35)
        for _ in range(KILLS):
            child = _start(central, org, terminal.spec, tmp_path)
            time.sleep(rng.uniform(0.0, 1.5))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        # One more start settles what the last kill left, then stops on its own.
        _start(central, org, terminal.spec, tmp_path).kill()
        ledger = terminal.ledger()
        charged = terminal.charged()
        listed = ok(
            central.request("GET", "/payments", org.tokens["org_admin"], params={"limit": 1000})
        )["items"]
        card = {p["id"]: p for p in listed if p["method"] == "card_terminal"}
        assert len(ledger) >= KILLS // 2  # the kills came while payments were under way
        for sale_id in {t["sale_transaction_id"] for t in ledger}:
            taken = [
                t
                for t in ledger
                if t["sale_transaction_id"] == sale_id and t["result"] == "Success"
            ]
            assert len(taken) <= 1, taken  # never charged twice
            if sale_id in charged:
                assert card[sale_id]["status"] == "paid", card[sale_id]
            else:
                assert card[sale_id]["status"] != "paid", card[sale_id]
        assert {i for i, p in card.items() if p["status"] == "paid"} == set(charged)
        outcomes = {
            "taken": len(charged),
            "reversed": sum(1 for t in ledger if t["reversed"]),
            "not taken": sum(1 for t in ledger if t["result"] != "Success"),
            "opened, never sent": len(set(card) - {t["sale_transaction_id"] for t in ledger}),
        }
        print(f"after {KILLS} kills of the UI: {outcomes}")
        assert outcomes["taken"] > 0
    finally:
        central.stop()
        terminal.stop()
