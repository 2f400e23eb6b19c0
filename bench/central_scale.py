"""Central beyond one process, all on this machine, on PostgreSQL:

1. heartbeats through HAProxy (central/deploy/haproxy.cfg) to 1, 2 and 3 central
   instances, and to one instance on SQLite;
2. desks and kiosks polling together: 500 officials asking their desk state every 2 s
   and 300 kiosks in queues or calls asking theirs every 2 s (400 requests/s), to one
   instance of two workers; goal p99 ≤ 100 ms;
3. how long a killed instance's periodic job (alerts, every second here) takes to run
   again on another instance.

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
import re
import signal
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.central_load import open_loop
from central.api.auth import new_session
from central.db.engine import make_engine, make_session_factory, session_scope
from central.db.models import Call, Kiosk, OfficialProfile, Organisation, PeriodicRun, User
from central.settings import Settings
from contract.call_api import CallStatus
from devtools.builders import enrol_kiosks, sample_catalogue
from devtools.central_world import TEST_PASSWORD_HASH
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


OFFICIALS, POLLING_KIOSKS, POLL_S = 500, 300, 2.0


def polling_world(base: str, database: str, officials: int, kiosks: int) -> list[tuple[str, str]]:
    """Officials with sessions and kiosks with calls (half active with an official, half
    queued), written straight into the database; (path, token) of each poller."""
    import requests

    tokens = enrol_kiosks(base, database, kiosks)
    http = requests.Session()
    login = {"email": "bench@example.fi", "password": "bench-password"}
    national = http.post(f"{base}/api/v1/auth/login", json=login, timeout=30).json()
    auth = {"Authorization": f"Bearer {national['access_token']}"}
    http.post(f"{base}/api/v1/catalogue/import", json=sample_catalogue(), headers=auth, timeout=60)
    services = [item["id"] for item in sample_catalogue()["itemList"]][:10]
    sessions = make_session_factory(make_engine(database))
    settings = Settings(database_url=database)
    pollers: list[tuple[str, str]] = []
    with session_scope(sessions) as db:
        org = db.scalars(select(Organisation).where(Organisation.name == "Bench")).one()
        kiosk_rows = {k.hardware_id: k for k in db.scalars(select(Kiosk))}
        people = []
        for n in range(officials):
            user = User(email=f"official-{n}@bench.fi", password_hash=TEST_PASSWORD_HASH,
                        role="official", org_id=org.id)  # fmt: skip
            db.add(user)
            db.flush()
            db.add(OfficialProfile(user_id=user.id, services=[services[n % len(services)]],
                                   languages=["fi"], presence="available"))  # fmt: skip
            token, _ = new_session(db, user.id, settings)
            people.append((user.id, token))
            pollers.append(("/api/v1/desk/state?after=0", token))
        for n, device_token in enumerate(tokens):
            kiosk = kiosk_rows[f"bench-{n}"]
            active = n < kiosks // 2
            call = Call(org_id=org.id, provider_id=org.id, site_id=kiosk.site_id, kiosk_id=kiosk.id,
                        service_id=services[n % len(services)], language="fi",
                        status=CallStatus.ACTIVE if active else CallStatus.QUEUED,
                        official_id=people[n][0] if active else None,
                        room=f"room-bench-{n}" if active else None)  # fmt: skip
            db.add(call)
            db.flush()
            pollers.append((f"/api/v1/kiosk/calls/{call.id}?after=0", device_token))
    return pollers


def polling(database: str, args) -> dict:
    """Every poller once per POLL_S, interleaved, against one instance of two workers."""
    env = {
        **os.environ,
        "CENTRAL_SECRET_KEY": "b" * 64,
        # A pool of one that nothing checks: the active calls' joins name it.
        "CENTRAL_JANUS_URL": "http://127.0.0.1:9/janus",
        "CENTRAL_JANUS_ADMIN_URL": "http://127.0.0.1:9/admin",
    }
    process, base = launch(0, database, workers=2, env=env)
    try:
        pollers = polling_world(base, database, args.officials, args.polling_kiosks)
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])

        # Each desk sends its last answer's ETag back, as the desk page does (304 while
        # nothing changed); `--no-tags` polls as before the tags, for the comparison.
        tags: dict[int, str] = {}
        unchanged = [0]

        def request(n: int) -> bytes:
            path, token = pollers[n % len(pollers)]
            tag = tags.get(n % len(pollers)) if args.tags else None
            condition = f"If-None-Match: {tag}\r\n" if tag else ""
            return (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"{condition}\r\n"
            ).encode()

        def answered(n: int, head: bytes) -> None:
            if head.startswith(b"HTTP/1.1 304"):
                unchanged[0] += 1
            if found := re.search(rb"\r\netag: ([^\r]+)", head, re.I):
                tags[n % len(pollers)] = found.group(1).decode()

        def kind(n: int) -> str:
            return "desk" if "/desk/" in pollers[n % len(pollers)][0] else "kiosk"

        rate = len(pollers) / POLL_S
        # Warm-up (not counted): every poller once, so that each desk holds a tag.
        asyncio.run(open_loop(host, port, [], rate, POLL_S, 16, request, kind, answered))
        unchanged[0] = 0
        result = asyncio.run(
            open_loop(host, port, [], rate, args.seconds * 2, 64, request, kind, answered)
        )
        result["unchanged"] = unchanged[0]
        return result
    finally:
        process.terminate()
        process.wait()


def takeover(database: str) -> float:
    """Seconds from killing the instance that ran the alerts to their next run elsewhere."""
    env = {**os.environ, "CENTRAL_SECRET_KEY": "b" * 64, "CENTRAL_ALERTS_EVERY_S": "1"}
    started = []
    for n in range(2):
        started.append(launch(0, database, env={**env, "CENTRAL_INSTANCE_NAME": f"i{n}"}))
    sessions = make_session_factory(make_engine(database))

    def last() -> tuple[int, str]:
        with sessions() as db:
            row = db.get(PeriodicRun, "alerts")
            return (row.runs, row.instance) if row else (0, "")

    try:
        deadline = time.monotonic() + 30
        while last()[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        holder = last()[1]
        process = started[int(holder[1])][0]
        os.kill(process.pid, signal.SIGKILL)
        killed = time.monotonic()
        while last()[1] == holder and time.monotonic() < killed + 30:
            time.sleep(0.01)
        return time.monotonic() - killed
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.terminate()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--kiosks", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    parser.add_argument(
        "--polling-only", action="store_true", help="only the desks' and kiosks' polling"
    )
    args = parser.parse_args()
    args.ladder = LADDER
    args.officials, args.polling_kiosks = OFFICIALS, POLLING_KIOSKS
    counts = (1, 2, 3)
    if args.quick:
        args.seconds, args.kiosks, args.ladder, counts = 1.5, 20, (100, 200), (1,)
        args.officials, args.polling_kiosks = 10, 6
    results: dict[str, dict] = {}
    pg = start_postgres(durable=True)
    try:
        database = pg.create_database()
        args.tokens = None
        for n in () if args.polling_only else counts:
            print(f"  PostgreSQL, {n} instance(s) of {args.workers} worker(s):", flush=True)
            results[f"postgresql x{n}"] = layout(database, n, args.workers, args.kiosks, args)
        # The baseline: the same world polled without tags (every answer in full).
        polled = {}
        for tags in (False, True):
            print(f"  desks and kiosks polling ({'with' if tags else 'without'} tags):", flush=True)
            args.tags = tags
            polled[tags] = polling(pg.create_database(), args)
        taken_over = None
        if not args.polling_only:
            print("  a periodic job's instance killed:", flush=True)
            taken_over = takeover(pg.create_database())
    finally:
        pg.stop()
    if (
        not args.quick and not args.polling_only
    ):  # the short run keeps to PostgreSQL and one instance
        folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        args.tokens = None
        print(f"  SQLite, 1 instance of {args.workers} worker(s):", flush=True)
        sqlite = f"sqlite:///{folder}/central.db"
        results["sqlite x1"] = layout(sqlite, 1, args.workers, args.kiosks, args)

    one = results["postgresql x1"]["rate"] or 1 if results else 1
    print(
        f"central scale-out ({os.cpu_count()} cores; instances, PostgreSQL, HAProxy and the "
        "sender on this one machine; highest rate held with p99 < 100 ms)"
    )
    for name, best in results.items():
        print(
            f"  {name:15s}: {best['rate']:5d} heartbeats/s held  p99 {best['p99_ms']:6.1f} ms"
            f"  = {best['rate'] / one:.2f}x one PostgreSQL instance"
        )
    offered = (args.officials + args.polling_kiosks) / POLL_S
    for tags, run in polled.items():
        kinds = run["by_kind"]
        print(
            f"  polling {'with' if tags else 'without'} tags, {args.officials} desks +"
            f" {args.polling_kiosks} kiosks every {POLL_S:.0f} s ({offered:.0f}/s offered,"
            f" {run['achieved_rps']:.0f}/s answered, {run['unchanged']} of them 304):"
            f" p50 {run['p50_ms']:.1f} ms  p99 {run['p99_ms']:.1f} ms (desks"
            f" {kinds['desk']['p99_ms']:.1f}, kiosks {kinds['kiosk']['p99_ms']:.1f})"
            f"  failures {run['failures']}"
            f"  (p99 <= 100 ms: {'met' if run['p99_ms'] <= 100 else 'NOT met'})"
        )
    ratio = polled[True]["achieved_rps"] / (polled[False]["achieved_rps"] or 1)
    print(f"  polling answered with tags / without: {ratio:.2f}x")
    if taken_over is not None:
        print(f"  periodic job taken over after its instance was killed: {taken_over:.2f} s")


if __name__ == "__main__":
    main()
