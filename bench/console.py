"""The console on a large fleet, on SQLite and on PostgreSQL.

Data, written straight into the database: 20 organisations, 200 sites, 10,000 kiosks
with their last heartbeat (devices, disk, UI; some offline, some faulty, three
software versions), 30 days of alert history (central keeps no per-heartbeat rows:
alerts are the history it has) and 1,000,000 usage events over those 30 days on the
busiest 200 kiosks, counted into the daily table as ingest counts them.

Measured over real HTTP on loopback (central under uvicorn in this process's thread,
one client, requests in turn), each against the same server's /api/v1/health in the
same run (the baseline: HTTP, middleware and session cost with no console work):
  - the fleet list's first page with filters, as a national admin over 10,000 kiosks
    and as an organisation's admin over its 500;
  - the usage report over all 1,000,000 events, and its CSV.
Goals: fleet p95 ≤ 200 ms, report ≤ 1 s. Run: ./run bench (or python -m bench.console
--databases sqlite --events 100000 for a quick look).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert

from central.access.security import hash_password
from central.db.models import Alert, Kiosk, Organisation, Site, UsageEvent, User
from central.usage import usage_daily
from devtools.central_server import start_central
from devtools.postgres import start_postgres

ROOT = Path(__file__).resolve().parents[1]

PASSWORD = "bench password 1234"
ORGS, SITES_PER_ORG, KIOSKS = 20, 10, 10_000
# The events fall on the busiest 200 kiosks: 1,000,000 in 30 days is ~170 a kiosk a day.
BUSY_KIOSKS = 200
VERSIONS = ("0.9.0", "0.9.1", "1.0.0")
TYPES = (
    ["session_started"] * 30
    + ["service_viewed"] * 30
    + ["ticket_printed"] * 10
    + ["booking_checked_in"] * 8
    + ["satisfaction"] * 8
    + ["document_scanned"] * 5
    + ["document_printed"] * 4
    + ["call_ended"] * 3
    + ["accessibility_used"] * 2
)


def health(rng: random.Random) -> dict:
    faulty = rng.random() < 0.05
    return {
        "software_version": rng.choice(VERSIONS),
        "ui": {"state": "maintenance" if rng.random() < 0.02 else "attract"},
        "devices": [
            {
                "kind": "printer",
                "name": "receipt",
                "state": "needs_attention" if faulty else "online",
                "detail": {"paper": "ok"},
            },
            {"kind": "scanner", "name": "a4", "state": "online", "detail": {}},
            {"kind": "camera", "name": "front", "state": "online", "detail": {}},
        ],
        "disk_free_mb": rng.choice([4000, 8000, 300]),
        "outbox_depth": 0,
    }


def populate(sessions, events: int) -> dict:
    rng = random.Random(14)
    now = datetime.now(UTC)
    orgs = [
        {"id": str(uuid.uuid4()), "name": f"Kunta {n:02}", "retention": {}, "alerting": {}}
        for n in range(ORGS)
    ]
    sites = [
        {
            "id": str(uuid.uuid4()),
            "org_id": org["id"],
            "name": f"Piste {o}-{s}",
            "timezone": "Europe/Helsinki",
            "config": {},
            "config_version": 1,
            "code_salt": uuid.uuid4().hex,
            "pruned_through": 0,
            "created_at": now,
        }
        for o, org in enumerate(orgs)
        for s in range(SITES_PER_ORG)
    ]
    kiosks = []
    for n in range(KIOSKS):
        site = sites[n % len(sites)]
        doc = health(rng)
        silent = rng.random() < 0.05
        kiosks.append(
            {
                "id": str(uuid.uuid4()),
                "site_id": site["id"],
                "org_id": site["org_id"],
                "hardware_id": f"hw-{n}",
                "name": f"kiosk-{n:05}",
                "device_token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                "software_version": doc["software_version"],
                "config_version": 1,
                "last_seen": now - timedelta(hours=2 if silent else 0, seconds=rng.randint(0, 25)),
                "outbox_depth": 0,
                "dropped_events": 0,
                "health": doc,
                "enrolled_at": now,
            }
        )
    alerts = []
    for kiosk in kiosks[::2]:
        for _ in range(5):  # 5,000 kiosks × 5 faults over 30 days
            raised = now - timedelta(minutes=rng.randint(60, 30 * 24 * 60))
            alerts.append(
                {
                    "id": str(uuid.uuid4()),
                    "kiosk_id": kiosk["id"],
                    "org_id": kiosk["org_id"],
                    "condition": "device:printer:receipt",
                    "detail": "paper out",
                    "raised_at": raised,
                    "resolved_at": raised + timedelta(minutes=rng.randint(5, 300)),
                    "open_key": None,
                }
            )
    users = [
        {
            "id": str(uuid.uuid4()),
            "email": "national@bench.fi",
            "role": "national_admin",
            "org_id": None,
            "password_hash": hash_password(PASSWORD),
        },
        {
            "id": str(uuid.uuid4()),
            "email": "org@bench.fi",
            "role": "org_admin",
            "org_id": orgs[0]["id"],
            "password_hash": hash_password(PASSWORD),
        },
    ]
    with sessions() as db:
        for table, rows in ((Organisation, orgs), (Site, sites), (User, users)):
            db.execute(insert(table), rows)
        for start in range(0, len(kiosks), 2000):
            db.execute(insert(Kiosk), kiosks[start : start + 2000])
        for start in range(0, len(alerts), 5000):
            db.execute(insert(Alert), alerts[start : start + 5000])
        db.commit()
        chunk = []
        for _ in range(events):
            kiosk = kiosks[rng.randrange(BUSY_KIOSKS)]
            at = now - timedelta(seconds=rng.randint(0, 30 * 86400))
            type_ = rng.choice(TYPES)
            data = (
                {"score": rng.randint(1, 5)}
                if type_ == "satisfaction"
                else (
                    {"duration_s": rng.randint(60, 1800), "outcome": "completed"}
                    if type_ == "call_ended"
                    else {"feature": "large_text", "on": True}
                    if type_ == "accessibility_used"
                    else {}
                )
            )
            chunk.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "kiosk_id": kiosk["id"],
                    "site_id": kiosk["site_id"],
                    "org_id": kiosk["org_id"],
                    "type": type_,
                    "at": at,
                    "local_day": at.date().isoformat(),
                    "session_id": None,
                    "service_id": f"svc-{rng.randrange(40)}" if type_ == "service_viewed" else None,
                    "data": data,
                    "received_at": now,
                }
            )
            if len(chunk) == 10_000:
                db.execute(insert(UsageEvent), chunk)
                usage_daily.add(db, chunk)  # as ingest counts them
                db.commit()
                chunk = []
        if chunk:
            db.execute(insert(UsageEvent), chunk)
            usage_daily.add(db, chunk)
            db.commit()
    return {"org": orgs[0]["id"], "site": sites[0]["id"]}


def console_session(base: str, email: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base}/console/login", timeout=30)
    token = page.text.split('name="login_csrf" value="')[1].split('"')[0]
    answer = http.post(
        f"{base}/console/login",
        data={"email": email, "password": PASSWORD, "login_csrf": token},
        headers={"cookie": f"pp_console_login={token}"},
        allow_redirects=False,
        timeout=30,
    )
    cookie = answer.headers["set-cookie"].split("pp_console=")[1].split(";")[0]
    http.headers["cookie"] = f"pp_console={cookie}"  # Secure cookies: requests keeps them for https
    return http


def timings(http: requests.Session, url: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        answer = http.get(url, timeout=120)
        out.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def measure(database: str, url: str, events: int, repeat: int) -> None:
    central = start_central(url, secret_key="b" * 40)
    try:
        started = time.perf_counter()
        ids = populate(central.app.state.sessions, events)
        print(
            f"[{database}] data written in {time.perf_counter() - started:.0f} s "
            f"({KIOSKS} kiosks, {events} events)",
            flush=True,
        )
        base = central.base
        national, org = (
            console_session(base, "national@bench.fi"),
            console_session(base, "org@bench.fi"),
        )
        health_ms = [t * 1000 for t in timings(national, f"{base}/api/v1/health", repeat)]
        baseline = statistics.median(health_ms)
        print(f"[{database}] baseline GET /api/v1/health: median {baseline:.1f} ms", flush=True)
        last = datetime.now(UTC).date()
        first = last - timedelta(days=29)
        cases = [
            (
                "fleet, national admin, status=degraded, sorted by status",
                national,
                f"{base}/console/fleet?status=degraded&sort=status",
                repeat,
                200,
            ),
            (
                "fleet, national admin, version=1.0.0, first page",
                national,
                f"{base}/console/fleet?version=1.0.0",
                repeat,
                200,
            ),
            (
                "fleet, organisation admin, site and status",
                org,
                f"{base}/console/fleet?site={ids['site']}&status=online",
                repeat,
                200,
            ),
            (
                "usage report, all 30 days, national admin",
                national,
                f"{base}/console/reports?from={first}&to={last}",
                max(3, repeat // 10),
                1000,
            ),
            (
                "usage report CSV, all 30 days",
                national,
                f"{base}/console/reports.csv?from={first}&to={last}",
                max(3, repeat // 10),
                1000,
            ),
        ]
        for label, http, target, count, goal in cases:
            http.get(target, timeout=120)  # warm
            ms = [t * 1000 for t in timings(http, target, count)]
            report(database, label, ms, baseline, goal)
    finally:
        central.stop()


def report(database: str, label: str, ms: list[float], baseline: float, goal: int) -> None:
    """One measured page: its p50 and p95, their ratio to the baseline, and the goal."""
    print(
        f"[{database}] {label}: p50 {statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms "
        f"({p95(ms) / baseline:.0f}× the baseline; goal {goal} ms: "
        f"{'met' if p95(ms) <= goal else 'NOT met'})",
        flush=True,
    )


def on_databases(names: str, run: Callable[[str, str], None]) -> None:
    """`run(kind, url)` on a fresh SQLite file and a fresh PostgreSQL server, as named."""
    for database in names.split(","):
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                run("sqlite", f"sqlite:///{folder}/central.db")
        else:
            server = start_postgres()
            try:
                run("postgresql", server.create_database())
            finally:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.databases, args.events, args.repeat = "sqlite", 20_000, 5
    on_databases(args.databases, lambda kind, url: measure(kind, url, args.events, args.repeat))


if __name__ == "__main__":
    main()
