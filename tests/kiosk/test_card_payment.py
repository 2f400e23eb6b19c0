"""Card payments at the kiosk's terminal: the kiosk's journal and driver against the
nexo Retailer stand-in (devtools/nexo_terminal.py) over TCP on loopback and a real
central over HTTP: approved, declined, cancelled, busy, aborted, an answer lost after
the money was taken; the kiosk killed while the terminal waits for the PIN, and the
payment that gets through after the restart's abort taken back. (The kiosk UI killed at
random moments 50 times: tests/kiosk/ui/test_card_kill.py.)"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from contract.payments import PaymentMethod, PaymentPurpose
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.nexo_terminal import MASKED_PAN, NexoStandin
from devtools.payment_world import PAGE_CENTS, take_payments
from devtools.waiting import wait_for
from hardware.terminal.nexo import NexoTerminal
from kiosk.agent.client import CentralClient
from kiosk.card_payment import CardPayments
from kiosk.payments import Checkout
from kiosk.store import StateStore

pytestmark = pytest.mark.slow  # a central, a terminal stand-in and child processes


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("card")
    central = start_central(f"sqlite:///{folder}/central.db")
    national = add_user(central, "national_admin", None)
    org = make_org(central, national, name="Järvenpää")
    take_payments(central, org)
    standin = NexoStandin().start()
    yield central, org, standin, folder
    standin.stop()
    central.stop()


def kiosk_side(central, org, standin, state: Path) -> CardPayments:
    host, port = standin.address
    terminal = NexoTerminal("terminal", host, port, standin.poi_id, org.kiosk_id)
    checkout = Checkout(lambda: CentralClient(central.base, org.device_token, insecure=True))
    return CardPayments(StateStore(state), terminal, checkout)


def opened(cards: CardPayments, pages: int = 1):
    return cards.checkout.start(
        PaymentPurpose.PRINT, "fi", pages=pages, method=PaymentMethod.CARD_TERMINAL.value
    )


def central_status(central, org, payment_id: str) -> str:
    found = ok(central.request("GET", f"/payments/{payment_id}", org.tokens["org_admin"]))
    return found["status"]


@pytest.mark.parametrize(
    ("behaviour", "approved", "condition", "status"),
    [
        ("approve", True, "", "paid"),
        ("decline", False, "Refusal", "failed"),
        ("cancel", False, "Cancel", "failed"),
        ("busy", False, "Busy", "failed"),
    ],
)
def test_a_card_payment_ends_as_the_terminal_says(
    world, tmp_path, behaviour, approved, condition, status
):
    central, org, standin, _ = world
    standin.behaviour = behaviour
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    payment = opened(cards, pages=2)
    assert payment.method == "card_terminal" and payment.pay_url == ""
    settled = cards.pay(payment)
    assert (settled.approved, settled.condition) == (approved, condition)
    assert central_status(central, org, payment.id) == status
    assert cards.entries("sending", "approved", "declined") == []  # all reported
    charged = standin.charged()
    assert (charged.get(payment.id) == 2 * PAGE_CENTS) == approved
    standin.behaviour = "approve"


def test_the_citizen_cancels_on_the_screen_and_the_terminal_stops(world, tmp_path):
    central, org, standin, _ = world
    standin.behaviour = "hang"  # the terminal waits for a card that never comes
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    payment = opened(cards)
    threading.Timer(0.5, lambda: cards.abort(payment.id)).start()
    settled = cards.pay(payment)
    assert not settled.approved and settled.condition == "Aborted"
    assert central_status(central, org, payment.id) == "failed"
    assert payment.id not in standin.charged()
    standin.behaviour = "approve"


def test_the_minutes_settling_leaves_a_live_payment_alone(world, tmp_path):
    """The app settles unfinished payments every minute; a payment the citizen is making
    right now is not "unfinished": it is not aborted under them."""
    central, org, standin, _ = world
    standin.behaviour = "hang"
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    payment = opened(cards)
    result: list = []
    paying = threading.Thread(target=lambda: result.append(cards.pay(payment)))
    paying.start()
    assert wait_for(lambda: any(t["result"] == "InProgress" for t in standin.ledger()), 10)
    assert cards.settle_unfinished() == []  # the minute's pass, while the citizen pays
    [live] = [t for t in standin.ledger() if t["sale_transaction_id"] == payment.id]
    assert live["result"] == "InProgress"
    cards.abort(payment.id)  # the citizen presses Cancel after all
    paying.join(10)
    assert result[0].condition == "Aborted"
    standin.behaviour = "approve"


def test_an_answer_lost_after_the_money_was_taken_is_recorded_once(world, tmp_path):
    central, org, standin, _ = world
    standin.behaviour = "vanish"  # approved, then the connection drops before the answer
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    payment = opened(cards)
    settled = cards.pay(payment)  # asks the terminal's transaction status instead
    assert settled.approved
    assert central_status(central, org, payment.id) == "paid"
    assert standin.charged()[payment.id] == PAGE_CENTS
    # Reported again (a crash before the journal's last step): nothing changes twice.
    cards.checkout.terminal_result(
        payment.id, approved=True, amount_cents=PAGE_CENTS, condition="", poi_transaction_id="x"
    )
    detail = ok(central.request("GET", f"/payments/{payment.id}", org.tokens["org_admin"]))
    assert [s["to"] for s in detail["steps"]] == ["paid"]
    standin.behaviour = "approve"


def test_no_card_data_reaches_the_kiosk_or_central(world, tmp_path):
    central, org, standin, folder = world
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    assert cards.pay(opened(cards)).approved
    cards.store.close()
    for path in [*tmp_path.glob("state.db*"), *folder.glob("central.db*")]:
        assert MASKED_PAN.encode() not in path.read_bytes(), path
        assert b"MaskedPan" not in path.read_bytes(), path  # nor what the terminal names


def test_an_unreachable_terminal_charges_nothing_and_says_so(world, tmp_path):
    central, org, standin, _ = world
    cards = kiosk_side(central, org, standin, tmp_path / "state.db")
    cards.terminal.port = 1  # nothing listens there
    payment = opened(cards)
    from hardware.base import DeviceOffline

    with pytest.raises(DeviceOffline):
        cards.pay(payment)
    assert cards.terminal.state == "offline"
    # The entry waits; the next start asks again (the terminal is back by then).
    cards.terminal.port = standin.address[1]
    [settled] = cards.settle_unfinished()
    assert not settled.approved and settled.condition == "NotFound"
    assert central_status(central, org, payment.id) == "failed"


def start_drill(central, org, standin, state: Path) -> subprocess.Popen[str]:
    """A process paying by card one payment after another (`drill`), its imports done."""
    host, port = standin.address
    code = "import sys; from tests.kiosk.test_card_payment import drill; drill(*sys.argv[1:])"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            central.base,
            org.device_token,
            host,
            str(port),
            standin.poi_id,
            org.kiosk_id,
            str(state),
        ],
        env=os.environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def test_a_payment_that_gets_through_after_the_restarts_abort_is_reversed(world, tmp_path):
    """The kiosk dies while the terminal waits for the PIN; at the restart the terminal
    is still at it, ignores the abort and approves: the money goes back at once."""
    central, org, standin, _ = world
    standin.behaviour = "stubborn:1.5"
    state = tmp_path / "state.db"
    child = start_drill(central, org, standin, state)
    assert wait_for(lambda: any(t["result"] == "InProgress" for t in standin.ledger()), 20)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    cards = kiosk_side(central, org, standin, state)
    assert cards.settle_unfinished() == []  # still at it: aborted, the entry waits
    [waiting] = cards.entries("aborting")
    # The terminal goes through with it all the same.
    assert wait_for(
        lambda: any(
            t["sale_transaction_id"] == waiting["id"] and t["result"] == "Success"
            for t in standin.ledger()
        ),
        10,
    )
    [settled] = cards.settle_unfinished()
    assert settled.recovered and not settled.approved and settled.condition == "reversed"
    [taken] = [t for t in standin.ledger() if t["sale_transaction_id"] == waiting["id"]]
    assert taken["result"] == "Success" and taken["reversed"]
    assert waiting["id"] not in standin.charged()
    assert central_status(central, org, waiting["id"]) == "failed"
    standin.behaviour = "approve"


def drill(central: str, token: str, host: str, port: int, poi: str, sale: str, state: str) -> None:
    """The kiosk's side of card payments, paying one after another until killed."""
    terminal = NexoTerminal("terminal", host, port, poi, sale)
    checkout = Checkout(lambda: CentralClient(central, token, insecure=True))
    cards = CardPayments(StateStore(state), terminal, checkout)
    print("ready", flush=True)  # imports done: the kills land among payments
    while True:
        payment = checkout.start(
            PaymentPurpose.PRINT, "fi", pages=random.randint(1, 3), method="card_terminal"
        )
        cards.pay(payment)
