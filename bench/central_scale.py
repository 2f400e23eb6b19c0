"""Heartbeats through HAProxy (central/deploy/haproxy.cfg) to 1, 2 and 3 central instances
on one PostgreSQL, and to one instance on SQLite, all on this machine.

For each layout the open-loop sender of bench/central_load.py (latency from each
heartbeat's scheduled time, so a stall is not hidden) climbs a ladder of rates; the
figure is the highest rate held with p99 < 100 ms and nothing failed. Everything
shares this machine's cores (the instances, PostgreSQL, HAProxy and the sender), so the
ratio to one instance is the figure, not the absolute rate. Run: ./run bench (or
python -m bench.central_scale --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from bench.central_load import open_loop
from devtools.builders import enrol_kiosks
from devtools.haproxy import start_haproxy
from devtools.launcher import free_port, launch
from devtools.postgres import start_postgres

LADDER = (200, 333, 400, 500, 575, 666, 750, 850, 1000, 1200)


def held_rate(port: int, tokens: list[str], seconds: float, ladder: tuple[int, ...]) -> dict:
    """The highest rate of the ladder held (p99 < 100 ms, no failures), and its run."""
    best: dict = {"rate": 0, "p99_ms": float("nan"), "p50_ms": float("nan")}
    # Warm up first (connections, caches, the workers' first requests): not counted.
    asyncio.run(open_loop("127.0.0.1", port, tokens, 100, 2, 16))
    for rate in ladder:
        run = asyncio.run(open_loop("127.0.0.1", port, tokens, rate, seconds, 64))
        held = run["p99_ms"] < 100 and run["failures"] == 0 and run["achieved_rps"] > rate * 0.95
        print(
            f"    {rate:5d}/s: p50 {run['p50_ms']:6.1f} ms  p99 {run['p99_ms']:7.1f} ms"
            f"  failures {run['failures']}  {'held' if held else 'not held'}",
            flush=True,
        )
        if not held:
            break
        best = {"rate": rate, **run}
    return best


def layout(database: str, instances: int, workers: int, tokens_for: int, args) -> dict:
    env = {**os.environ, "CENTRAL_SECRET_KEY": "b" * 64}
    started = [launch(0, database, workers=workers, env=env) for _ in range(instances)]
    proxy = start_haproxy(
        free_port(),
        [(f"c{i}", base.removeprefix("http://")) for i, (_, base) in enumerate(started)],
    )
    try:
        tokens = args.tokens or enrol_kiosks(proxy.base, database, tokens_for)
        args.tokens = tokens
        return held_rate(proxy.port, tokens, args.seconds, args.ladder)
    finally:
        proxy.stop()
        for process, _ in started:
            process.terminate()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--kiosks", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    args.ladder = LADDER
    counts = (1, 2, 3)
    if args.quick:
        args.seconds, args.kiosks, args.ladder, counts = 1.5, 20, (100, 200), (1, 2)
    results: dict[str, dict] = {}
    pg = start_postgres(durable=True)
    try:
        database = pg.create_database()
        args.tokens = None
        for n in counts:
            print(f"  PostgreSQL, {n} instance(s) of {args.workers} worker(s):", flush=True)
            results[f"postgresql x{n}"] = layout(database, n, args.workers, args.kiosks, args)
    finally:
        pg.stop()
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    args.tokens = None
    print(f"  SQLite, 1 instance of {args.workers} worker(s):", flush=True)
    results["sqlite x1"] = layout(
        f"sqlite:///{folder}/central.db", 1, args.workers, args.kiosks, args
    )

    one = results["postgresql x1"]["rate"] or 1
    print(
        f"central scale-out ({os.cpu_count()} cores; instances, PostgreSQL, HAProxy and the "
        "sender on this one machine; highest rate held with p99 < 100 ms)"
    )
    for name, best in results.items():
        print(
            f"  {name:15s}: {best['rate']:5d} heartbeats/s held  p99 {best['p99_ms']:6.1f} ms"
            f"  = {best['rate'] / one:.2f}x one PostgreSQL instance"
        )


if __name__ == "__main__":
    main()
