"""Backlog drain: a kiosk offline for a long time uploads 100,000 events to central.

Central runs as its own process on loopback (SQLite, one worker). Measured
in the same run:
  baseline: the same number of fresh events POSTed in batches of 500 by a
            bare loop (no outbox bookkeeping);
  agent:    Agent.drain_outbox() from state.db, deleting what central took.
Reported as events/s and the agent's rate as a ratio of the baseline.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import requests

from devtools.builders import enrol_kiosks
from devtools.launcher import launch
from kiosk.agent.agent import Agent
from kiosk.agent.client import CentralClient
from kiosk.outbox import Outbox
from kiosk.store import StateStore

ROOT = Path(__file__).resolve().parents[1]


def fill_outbox(store: StateStore, count: int) -> None:
    """Setup only: one transaction, so the fill does not dominate the run."""
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO outbox (id, type, at, session_id, data) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    str(uuid.uuid4()),
                    "service_viewed",
                    now,
                    f"s{n // 10}",
                    json.dumps({"service_id": f"svc-{n % 36}"}),
                )
                for n in range(count)
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.events = 2000
    tmp = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    database = f"sqlite:///{tmp}/central.db"
    central, base = launch(0, database)
    try:
        token_a, token_b = enrol_kiosks(base, database, 2)
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        http = requests.Session()
        t0 = time.perf_counter()
        for start_n in range(0, args.events, 500):
            batch = [
                {
                    "id": str(uuid.uuid4()),
                    "type": "service_viewed",
                    "at": now,
                    "session_id": "s",
                    "data": {"service_id": "svc"},
                }
                for _ in range(min(500, args.events - start_n))
            ]
            r = http.post(
                f"{base}/api/v1/kiosk/events",
                json={"events": batch},
                headers={"Authorization": f"Bearer {token_a}"},
                timeout=60,
            )
            r.raise_for_status()
        bare_rate = args.events / (time.perf_counter() - t0)

        store = StateStore(tmp / "state.db")
        fill_outbox(store, args.events)
        agent = Agent(store, CentralClient(base, token_b))
        t0 = time.perf_counter()
        rounds = 0
        while Outbox(store).depth():
            agent.drain_outbox()
            rounds += 1
        agent_rate = args.events / (time.perf_counter() - t0)
    finally:
        central.terminate()
        central.wait()
    print(f"backlog drain of {args.events} events to central (SQLite, 1 worker, loopback)")
    print(f"  baseline: bare POSTs of 500  : {bare_rate:8.0f} events/s")
    print(
        f"  agent drain from state.db    : {agent_rate:8.0f} events/s = "
        f"{agent_rate / bare_rate:.0%} of baseline, {rounds} loop turns "
        f"(a heartbeat can go between turns)"
    )


if __name__ == "__main__":
    main()
