"""Joint service points at national scale, on SQLite and on PostgreSQL.

Data, written straight into the database: 300 host municipalities (2 sites and 6 kiosks
each), 20 providers, 2,000 service agreements between them (per call, per started
minute or per site and month), and 1,000,000 ended calls over the last 60 days, each
routed under one of the agreements to its provider.

Measured over real HTTP on loopback (central under uvicorn in this process's thread,
one client, requests in turn), against the same server's /api/v1/health in the same
run (the baseline):
  - a provider's monthly statements for last month, one per agreement: the first read
    issues each (and marks its calls), later reads return the stored figures;
  - the provider's usage view (`/stats/calls?side=provider`, last month);
  - a host's calls view (`/stats/calls`, last month) and its fleet page in the console.
Goals: statement and usage view p95 ≤ 1 s; the host's fleet page p95 ≤ 200 ms. Run:
./run bench (or python -m bench.agreements --databases sqlite --calls 100000).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import insert

from bench.console import PASSWORD, console_session, on_databases, report, timings
from central.access.security import hash_password
from central.agreements.statements import Month
from central.db.models import Agreement, Call, Kiosk, Organisation, Site, User
from devtools.central_server import start_central

HOSTS, PROVIDERS, AGREEMENTS = 300, 20, 2000
SITES_PER_HOST, KIOSKS_PER_SITE = 2, 3
BASES = ("per_call", "per_started_minute", "monthly_per_site")


def populate(sessions, calls: int) -> dict:
    rng = random.Random(31)
    now = datetime.now(UTC)
    orgs = [
        {"id": str(uuid.uuid4()), "name": f"Kunta {n:03}", "retention": {}, "alerting": {}}
        for n in range(HOSTS)
    ] + [
        {"id": str(uuid.uuid4()), "name": f"Virasto {n:02}", "retention": {}, "alerting": {}}
        for n in range(PROVIDERS)
    ]
    hosts, providers = orgs[:HOSTS], orgs[HOSTS:]
    sites = [
        {
            "id": str(uuid.uuid4()),
            "org_id": host["id"],
            "name": f"Piste {h}-{s}",
            "timezone": "Europe/Helsinki",
            "config": {},
            "config_version": 1,
            "code_salt": uuid.uuid4().hex,
            "pruned_through": 0,
            "created_at": now,
        }
        for h, host in enumerate(hosts)
        for s in range(SITES_PER_HOST)
    ]
    sites_of: dict[str, list[str]] = {}
    for site in sites:
        sites_of.setdefault(site["org_id"], []).append(site["id"])
    kiosks = [
        {
            "id": str(uuid.uuid4()),
            "site_id": site["id"],
            "org_id": site["org_id"],
            "hardware_id": f"hw-{n}-{k}",
            "name": f"kiosk-{n:04}-{k}",
            "device_token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
            "software_version": "1.0.0",
            "config_version": 1,
            "last_seen": now - timedelta(seconds=rng.randint(0, 25)),
            "outbox_depth": 0,
            "dropped_events": 0,
            "health": {"software_version": "1.0.0", "ui": {"state": "attract"}, "devices": []},
            "enrolled_at": now,
        }
        for n, site in enumerate(sites)
        for k in range(KIOSKS_PER_SITE)
    ]
    kiosks_of: dict[str, list[str]] = {}
    for kiosk in kiosks:
        kiosks_of.setdefault(kiosk["site_id"], []).append(kiosk["id"])
    pairs = rng.sample([(h, p) for h in range(HOSTS) for p in range(PROVIDERS)], AGREEMENTS)
    # Provider 0's agreements first, so the measured provider has its share.
    start = (now - timedelta(days=90)).date().isoformat()
    agreements = [
        {
            "id": str(uuid.uuid4()),
            "kind": "service",
            "host_org_id": hosts[h]["id"],
            "provider_org_id": providers[p]["id"],
            "service_ids": None,
            "site_ids": None,
            "languages": ["fi", "sv"],
            "valid_from": start,
            "valid_to": None,
            "basis": BASES[n % 3],
            "amount_cents": 100 + n % 500,
            "vat_basis_points": 2550,
            "status": "active",
            "proposed_by_org_id": None,
            "created_at": now - timedelta(days=90),
            "accepted_at": now - timedelta(days=90),
        }
        for n, (h, p) in enumerate(pairs)
    ]
    users = [
        {
            "id": str(uuid.uuid4()),
            "email": email,
            "role": role,
            "org_id": org,
            "password_hash": hash_password(PASSWORD),
        }
        for email, role, org in (
            ("national@bench.fi", "national_admin", None),
            ("provider@bench.fi", "org_admin", providers[0]["id"]),
            ("host@bench.fi", "org_admin", hosts[0]["id"]),
        )
    ]
    with sessions() as db:
        for table, rows in (
            (Organisation, orgs),
            (Site, sites),
            (User, users),
            (Kiosk, kiosks),
            (Agreement, agreements),
        ):
            for first in range(0, len(rows), 2000):
                db.execute(insert(table), rows[first : first + 2000])
        db.commit()
        chunk = []
        for _ in range(calls):
            agreement = agreements[rng.randrange(AGREEMENTS)]
            site = rng.choice(sites_of[agreement["host_org_id"]])
            accepted = now - timedelta(seconds=rng.randint(600, 60 * 86400))
            chunk.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "org_id": agreement["host_org_id"],
                    "provider_id": agreement["provider_org_id"],
                    "agreement_id": agreement["id"],
                    "site_id": site,
                    "kiosk_id": rng.choice(kiosks_of[site]),
                    "service_id": f"svc-{rng.randrange(40)}",
                    "language": "fi",
                    "status": "ended",
                    "outcome": "completed",
                    "identification": "none",
                    "created_at": accepted - timedelta(seconds=rng.randint(5, 900)),
                    "accepted_at": accepted,
                    "ended_at": accepted + timedelta(seconds=rng.randint(30, 1800)),
                    "kiosk_seen_at": accepted,
                    "kiosk_link": "good",
                    "room_closed": True,
                    "documents_to_citizen": 0,
                    "documents_from_citizen": 0,
                    "documents_printed": 0,
                }
            )
            if len(chunk) == 10_000:
                db.execute(insert(Call), chunk)
                db.commit()
                chunk = []
        if chunk:
            db.execute(insert(Call), chunk)
            db.commit()
    mine = [a["id"] for a in agreements if a["provider_org_id"] == providers[0]["id"]]
    return {"agreements": mine, "host": hosts[0]["id"]}


def bearer(base: str, email: str) -> requests.Session:
    http = requests.Session()
    answer = http.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return http


def measure(database: str, url: str, calls: int, repeat: int) -> None:
    central = start_central(url, secret_key="b" * 40)
    try:
        started = time.perf_counter()
        ids = populate(central.app.state.sessions, calls)
        print(
            f"[{database}] data written in {time.perf_counter() - started:.0f} s ({HOSTS} hosts, "
            f"{PROVIDERS} providers, {AGREEMENTS} agreements, {calls} calls)",
            flush=True,
        )
        base = central.base
        provider, host = bearer(base, "provider@bench.fi"), bearer(base, "host@bench.fi")
        health = [t * 1000 for t in timings(provider, f"{base}/api/v1/health", repeat)]
        baseline = statistics.median(health)
        print(f"[{database}] baseline GET /api/v1/health: median {baseline:.1f} ms", flush=True)
        last_month = Month.of(datetime.now(UTC)).first - timedelta(days=1)
        month = Month.of(datetime.combine(last_month, datetime.min.time(), UTC)).name
        statement_urls = [
            f"{base}/api/v1/agreements/{a}/statements/{month}" for a in ids["agreements"]
        ]
        first = [t * 1000 for url in statement_urls for t in timings(provider, url, 1)]
        report(database, f"statement {month}, first read (issues it)", first, baseline, 1000)
        again = [t * 1000 for url in statement_urls for t in timings(provider, url, 1)]
        report(database, f"statement {month}, issued", again, baseline, 1000)
        period = Month.parse(month)
        window = f"from={period.first}&to={period.last}"
        fleet = console_session(base, "host@bench.fi")
        cases = [
            ("provider's usage view, last month", provider,
             f"{base}/api/v1/stats/calls?side=provider&{window}", 1000),
            ("host's calls view, last month", host, f"{base}/api/v1/stats/calls?{window}", 1000),
            ("host's fleet page", fleet, f"{base}/console/fleet", 200),
        ]  # fmt: skip
        for label, http, target, goal in cases:
            http.get(target, timeout=120)  # warm
            count = repeat if goal <= 200 else max(3, repeat // 4)
            ms = [t * 1000 for t in timings(http, target, count)]
            report(database, label, ms, baseline, goal)
    finally:
        central.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.databases, args.calls, args.repeat = "sqlite", 20_000, 5
    on_databases(args.databases, lambda kind, url: measure(kind, url, args.calls, args.repeat))


if __name__ == "__main__":
    main()
