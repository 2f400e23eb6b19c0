"""Payments at the kiosk, on SQLite and on PostgreSQL, over real HTTP on loopback.

  - By phone: from the moment the Suomi.fi Payments stand-in (devtools/paytrail_standin.py)
    sends its callback to the moment the kiosk's poll (every 0.5 s, as the payment screen
    asks) sees "paid". Goal: p95 ≤ 1 s.
  - By card: the kiosk's own share of a card payment, everything but the terminal's
    time: opening the payment at central, the journal's writes in state.db, the
    exchange with the nexo stand-in (which approves at once), the report to central.
    Goal: p95 ≤ 300 ms.
Each against a bare HTTP round trip to the same central in the same run (the baseline).
Run: ./run bench (or python -m bench.payments --databases sqlite --repeat 20).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.console import on_databases, p95
from contract.payments import PaymentPurpose
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.nexo_terminal import NexoStandin
from devtools.payment_world import take_payments
from devtools.paytrail_standin import Standin
from hardware.terminal.nexo import NexoTerminal
from kiosk.agent.client import CentralClient
from kiosk.card_payment import CardPayments
from kiosk.payments import Checkout
from kiosk.store import StateStore

POLL_S = 0.5  # the payment screen's (kiosk/ui/screens/payment.py)


def line(database: str, label: str, ms: list[float], baseline: float, goal: float) -> None:
    print(
        f"[{database}] {label}: p50 {statistics.median(ms):.1f} ms, p95 {p95(ms):.1f} ms "
        f"({p95(ms) / baseline:.0f}× the baseline; goal {goal:.0f} ms: "
        f"{'met' if p95(ms) <= goal else 'NOT met'})",
        flush=True,
    )


def callback_to_paid(central, org, paytrail: Standin, repeat: int) -> list[float]:
    """The kiosk polls as its screen does, starting at a random phase of its period."""
    out = []
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {org.device_token}"
    for n in range(repeat):
        made = ok(
            central.request(
                "POST", "/kiosk/payments", org.device_token, json={"purpose": "print", "pages": 1}
            ),
            201,
        )
        seen = threading.Event()
        seen_at: list[float] = []

        def poll(
            payment_id: str = made["id"],
            offset: float = (n % 10) / 10 * POLL_S,
            seen: threading.Event = seen,
            seen_at: list[float] = seen_at,
        ) -> None:
            time.sleep(offset)
            while not seen.is_set():
                answer = kiosk.get(f"{central.base}/api/v1/kiosk/payments/{payment_id}", timeout=10)
                if answer.json()["status"] == "paid":
                    seen_at.append(time.perf_counter())
                    seen.set()
                    return
                time.sleep(POLL_S)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        transaction = made["pay_url"].rsplit("/", 1)[1]
        sent = time.perf_counter()
        paytrail.settle(transaction, "ok")  # the callback leaves now
        seen.wait(30)
        poller.join(5)
        out.append((seen_at[0] - sent) * 1000)
    return out


def card_share(central, org, terminal: NexoStandin, folder: Path, repeat: int) -> list[float]:
    host, port = terminal.address
    checkout = Checkout(lambda: CentralClient(central.base, org.device_token, insecure=True))
    cards = CardPayments(
        StateStore(folder / "state.db"),
        NexoTerminal("terminal", host, port, terminal.poi_id, org.kiosk_id),
        checkout,
    )
    cards.terminal.login()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        payment = checkout.start(PaymentPurpose.PRINT, "fi", pages=1, method="card_terminal")
        settled = cards.pay(payment)
        out.append((time.perf_counter() - started) * 1000)
        assert settled.approved
    return out


def measure(database: str, url: str, repeat: int) -> None:
    paytrail = Standin().start()
    terminal = NexoStandin().start()
    central = start_central(url, secret_key="b" * 40, paytrail_url=paytrail.base)
    try:
        national = add_user(central, "national_admin", None)
        org = make_org(central, national, name="Järvenpää")
        take_payments(central, org)
        http = requests.Session()
        health = []
        for _ in range(repeat):
            started = time.perf_counter()
            http.get(f"{central.base}/api/v1/health", timeout=10)
            health.append((time.perf_counter() - started) * 1000)
        baseline = statistics.median(health)
        print(f"[{database}] baseline GET /api/v1/health: p50 {baseline:.2f} ms", flush=True)
        line(
            database,
            "callback to the kiosk showing paid (polling every 0.5 s)",
            callback_to_paid(central, org, paytrail, repeat),
            baseline,
            1000,
        )
        with tempfile.TemporaryDirectory() as folder:
            line(
                database,
                "the kiosk's share of a card payment",
                card_share(central, org, terminal, Path(folder), repeat),
                baseline,
                300,
            )
    finally:
        central.stop()
        terminal.stop()
        paytrail.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.databases, args.repeat = "sqlite", 5
    on_databases(args.databases, lambda db, url: measure(db, url, args.repeat))


if __name__ == "__main__":
    main()
