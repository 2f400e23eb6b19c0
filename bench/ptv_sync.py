"""A PTV sync of one large organisation against the PTV stand-in on loopback: a full
pass (every service joined with its channels and organisation) against an incremental
pass with nothing changed (the baseline a scheduled sync mostly is), and one where 1 %
of the services moved. Requests made and time, as ratios of the same run.

    python -m bench.ptv_sync [--services 2000] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

from central.db.engine import make_engine, make_session_factory, session_scope
from central.db.migrate import upgrade
from central.ptv.client import PtvClient
from central.ptv.sync import sync_organisation
from devtools.ptv_server import PtvServer, PtvWorld

ROOT = Path(__file__).resolve().parents[1]

ORG = "06d2b317-7b64-5bfc-bacc-9037b6985ccb"


def world(count: int) -> PtvWorld:
    made = PtvWorld.sample(page_size=100)
    made.add_copies(copy.deepcopy(made.of_organisation(ORG)[0]), count, first_channel=1_000_000)
    return made


def one_pass(sessions, server: PtvServer, full: bool) -> tuple[float, int, dict]:
    client = PtvClient(server.url, pace_s=0)
    started = time.perf_counter()
    with session_scope(sessions) as db:
        result = sync_organisation(db, client, ORG, full=full)
    return time.perf_counter() - started, client.requests_made, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="300 services (the suite's run)")
    args = parser.parse_args()
    count = 300 if args.quick else args.services
    with tempfile.TemporaryDirectory() as tmp, PtvServer(world(count)) as server:
        engine = make_engine(f"sqlite:///{tmp}/central.db")
        upgrade(engine)
        sessions = make_session_factory(engine)
        first_s, first_n, first = one_pass(sessions, server, full=True)
        full_s, full_n, full = one_pass(sessions, server, full=True)
        idle_s, idle_n, idle = one_pass(sessions, server, full=False)
        moved = list(server.world.of_organisation(ORG))[: max(1, count // 100)]
        for service in moved:
            service["modified"] = "2027-01-01T00:00:00"
            service["serviceNames"][0]["value"] += " (uusi)"
        some_s, some_n, some = one_pass(sessions, server, full=False)
        engine.dispose()
    rows = [
        ("services listed", f"{first['listed']}"),
        ("first import (full)", f"{first_s:6.2f} s, {first_n} requests, {first['imported']} new"),
        ("full re-read, nothing changed", f"{full_s:6.2f} s, {full_n} requests"),
        ("incremental, nothing changed", f"{idle_s:6.2f} s, {idle_n} requests"),
        (f"incremental, {len(moved)} moved", f"{some_s:6.2f} s, {some_n} requests"),
        ("full re-read vs incremental (time)", f"{full_s / idle_s:.1f}x"),
        ("full re-read vs incremental (reqs)", f"{full_n / idle_n:.1f}x"),
    ]
    assert full["unchanged"] == first["imported"] and idle["joined"] == 0
    assert some["updated"] == len(moved)
    for label, value in rows:
        print(f"{label:<36}: {value}")


if __name__ == "__main__":
    main()
