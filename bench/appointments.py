"""Video appointments at national scale, on SQLite and on PostgreSQL.

Data, written straight into the database: one provider with 500 officials, each with a
calendar for the same service (weekdays 8–16 in 30-minute slots, at service points and
from home, fi/sv/en), a host municipality whose service point an agreement lets the
provider serve, and a third of every official's times over the next month booked (the
bookings and their claimed 5-minute steps).

Measured over real HTTP on loopback (central under uvicorn in this process's thread,
one client, requests in turn), against the same server's /api/v1/health in the same
run (the baseline):
  - the free-time search for the service over the next 30 days, from home and at the
    host's service point (`GET /api/v1/appointments/free`: the free days, and the
    first free day's times);
  - the citizen's booking pages: the service list (`/book/`) and the service's times
    page (`/book/s/{service}?at=home`), the server's time for each.
Goals: search p95 ≤ 100 ms; booking pages p95 ≤ 50 ms. Run: ./run bench (or python -m
bench.appointments --databases sqlite --officials 100).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import insert, text

from bench.console import on_databases, p95
from central.db.models import (
    Agreement,
    AppointmentCalendar,
    Booking,
    Organisation,
    Site,
    SlotClaim,
    User,
)
from devtools.builders import sample_catalogue, service_ids
from devtools.central_server import start_central
from devtools.central_world import add_user, ok

HELSINKI = ZoneInfo("Europe/Helsinki")
WEEKDAYS = [{"day": d, "start": "08:00", "end": "16:00"} for d in range(5)]


def populate(central, officials: int) -> dict:
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    service = service_ids()[0]
    provider, host = str(uuid.uuid4()), str(uuid.uuid4())
    site = str(uuid.uuid4())
    rng = random.Random(7)
    now = datetime.now(UTC)
    today = now.astimezone(HELSINKI).date()
    users, cals, bookings, claims = [], [], [], []
    for n in range(officials):
        user = str(uuid.uuid4())
        users.append(
            {
                "id": user,
                "email": f"o{n}@kela.example",
                "password_hash": "x",
                "role": "official",
                "org_id": provider,
            }
        )
        cal = str(uuid.uuid4())
        cals.append(
            {
                "id": cal,
                "org_id": provider,
                "official_id": user,
                "service_id": service,
                "languages": ["fi", "sv", "en"],
                "places": ["service_point", "home"],
                "weekly": WEEKDAYS,
                "exceptions": {},
                "slot_minutes": 30,
                "book_ahead_days": 30,
                "notice_minutes": 0,
                "valid_from": today.isoformat(),
                "valid_until": None,
                "zone": "Europe/Helsinki",
                "created_at": now,
                "updated_at": now,
            }
        )
        for d in range(31):
            day = today + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for slot in range(16):
                if rng.random() > 1 / 3:
                    continue
                start = datetime.combine(day, datetime.min.time(), HELSINKI) + timedelta(
                    hours=8, minutes=30 * slot
                )
                start = start.astimezone(UTC)
                booking = str(uuid.uuid4())
                bookings.append(
                    {
                        "id": booking,
                        "org_id": provider,
                        "external_id": f"appointment:{booking}",
                        "site_id": None,
                        "service_id": service,
                        "starts_at": start,
                        "ends_at": start + timedelta(minutes=30),
                        "display_name": "",
                        "mode": "remote",
                        "code_nonce": 0,
                        "code_hash": "x",
                        "hash_alg": "x",
                        "official_id": user,
                        "status": "booked",
                        "created_at": now,
                        "calendar_id": cal,
                        "channel": "web",
                        "place": "home",
                        "language": "fi",
                    }
                )
                claims += [
                    {
                        "official_id": user,
                        "at": start + timedelta(minutes=5 * k),
                        "booking_id": booking,
                    }
                    for k in range(6)
                ]
    with central.app.state.sessions() as db:
        db.execute(
            insert(Organisation),
            [
                {"id": provider, "name": "Kela", "retention": {}, "alerting": {}},
                {"id": host, "name": "Kunta", "retention": {}, "alerting": {}},
            ],
        )
        db.execute(
            insert(Site),
            [
                {
                    "id": site,
                    "org_id": host,
                    "name": "Piste",
                    "timezone": "Europe/Helsinki",
                    "config": {},
                    "config_version": 1,
                    "code_salt": "s",
                }
            ],
        )
        db.execute(insert(User), users)
        db.execute(insert(AppointmentCalendar), cals)
        for start in range(0, len(bookings), 5000):
            db.execute(insert(Booking), bookings[start : start + 5000])
        for start in range(0, len(claims), 20000):
            db.execute(insert(SlotClaim), claims[start : start + 20000])
        db.execute(
            insert(Agreement),
            [
                {
                    "id": str(uuid.uuid4()),
                    "kind": "service",
                    "host_org_id": host,
                    "provider_org_id": provider,
                    "service_ids": [service],
                    "site_ids": None,
                    "languages": ["fi", "sv", "en"],
                    "valid_from": "2020-01-01",
                    "valid_to": None,
                    "basis": "per_call",
                    "amount_cents": 100,
                    "vat_basis_points": 2550,
                    "status": "active",
                    "created_at": now,
                    "accepted_at": now,
                }
            ],
        )
        db.commit()
        if db.get_bind().dialect.name == "postgresql":
            # What autovacuum does within a minute of such a load: without statistics the
            # planner joins 500 calendars to 500 users by a nested loop (55 ms, not 2).
            db.execute(text("ANALYZE"))
            db.commit()
    return {"national": national, "service": service, "site": site, "bookings": len(bookings)}


def timed(http: requests.Session, url: str, count: int, **kw) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        answer = http.get(url, timeout=60, **kw)
        out.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return out


def line(database: str, label: str, ms: list[float], baseline: float, goal: float) -> None:
    print(
        f"[{database}] {label}: p50 {statistics.median(ms):.1f} ms, p95 {p95(ms):.1f} ms "
        f"({p95(ms) / baseline:.0f}× the baseline; goal {goal:.0f} ms: "
        f"{'met' if p95(ms) <= goal else 'NOT met'})",
        flush=True,
    )


def measure(database: str, url: str, officials: int, repeat: int) -> None:
    central = start_central(url, secret_key="b" * 40)
    try:
        started = time.perf_counter()
        world = populate(central, officials)
        print(
            f"[{database}] {officials} officials' calendars, {world['bookings']} bookings "
            f"written in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {world['national']}"
        api = f"{central.base}/api/v1"
        health = timed(http, f"{api}/health", repeat)
        baseline = statistics.median(health)
        print(f"[{database}] baseline GET /api/v1/health: p50 {baseline:.2f} ms", flush=True)
        service = world["service"]
        home = timed(
            http,
            f"{api}/appointments/free",
            repeat,
            params={"service_id": service, "place": "home", "language": "fi"},
        )
        line(database, "free times from home, 30 days", home, baseline, 100)
        point = timed(
            http,
            f"{api}/appointments/free",
            repeat,
            params={
                "service_id": service,
                "place": "service_point",
                "site_id": world["site"],
                "language": "fi",
            },
        )
        line(database, "free times at a service point, 30 days", point, baseline, 100)
        citizen = requests.Session()
        line(
            database,
            "booking page /book/",
            timed(citizen, f"{central.base}/book/", repeat),
            baseline,
            50,
        )
        page = timed(
            citizen,
            f"{central.base}/book/s/{service}",
            repeat,
            params={"at": "home", "language": "fi"},
        )
        line(database, "booking page /book/s/… (days and times)", page, baseline, 50)
    finally:
        central.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--officials", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.databases, args.officials, args.repeat = "sqlite", 20, 5
    on_databases(args.databases, lambda db, url: measure(db, url, args.officials, args.repeat))


if __name__ == "__main__":
    main()
