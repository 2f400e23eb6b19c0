"""state.db on the kiosk: outbox enqueue rate and catalogue search latency.

1. Outbox.add() against a bare SQLite INSERT at the same durability (WAL,
   synchronous=FULL, one committed transaction per event), in the same run
   and on the same disk. Target: at least 80 % of the bare rate.
2. Search-as-you-type over 10,000 services: p50/p95 of catalogue.search()
   for prefixes a citizen types, against a LIKE scan of the same data as the
   baseline. Target: p95 at most 20 ms.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from central.ptv import parse_service
from devtools.builders import sample_catalogue
from kiosk import catalogue
from kiosk.outbox import Outbox
from kiosk.store import StateStore

ROOT = Path(__file__).resolve().parents[1]

EVENTS = 3000


class BareTable:
    """The baseline: one committed INSERT per event, same pragmas, same disk."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE e (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, type TEXT, "
            "at TEXT, data TEXT)"
        )

    def add(self, n: int) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO e (id, type, at, data) VALUES (?, ?, ?, ?)",
            [
                str(uuid.uuid4()),
                "service_viewed",
                "2026-11-22T10:00:00+02:00",
                json.dumps({"n": n}),
            ],
        )
        self.conn.execute("COMMIT")


def enqueue_rates(tmp: Path, count: int = EVENTS) -> tuple[float, float]:
    """Alternate one bare insert and one Outbox.add, so fsync and machine noise hit both alike."""
    bare, outbox = BareTable(tmp / "bare.db"), Outbox(StateStore(tmp / "state.db"))
    spent_bare = spent_outbox = 0.0
    for n in range(count):
        t0 = time.perf_counter()
        bare.add(n)
        t1 = time.perf_counter()
        outbox.add("service_viewed", {"n": n})
        t2 = time.perf_counter()
        spent_bare += t1 - t0
        spent_outbox += t2 - t1
    return count / spent_bare, count / spent_outbox


def ten_thousand_services() -> list[dict]:
    docs = sample_catalogue()["itemList"]
    rng = random.Random(7)
    words = [
        "palvelu",
        "hakemus",
        "tuki",
        "neuvonta",
        "lupa",
        "ilmoitus",
        "kortti",
        "maksu",
        "asiointi",
        "ajanvaraus",
        "todistus",
        "rekisteri",
        "avustus",
        "kirjasto",
        "vero",
    ]
    items = []
    for n in range(10_000):
        doc = copy.deepcopy(docs[n % len(docs)])
        doc["id"] = str(uuid.UUID(int=n + 1))
        extra = " ".join(rng.sample(words, 2))
        for name in doc["serviceNames"]:
            name["value"] = f"{name['value']} {extra} {n}"
        item, _ = parse_service(doc)
        item["position"] = n
        items.append(item)
    return items


def latencies(fn, queries) -> list[float]:
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    quick = parser.parse_args().quick
    tmp = Path(tempfile.mkdtemp(prefix="bench-kiosk-"))
    bare, ours = enqueue_rates(tmp, 300 if quick else EVENTS)
    print("kiosk state.db benchmark")
    print(f"  bare SQLite insert (WAL, FULL) : {bare:8.0f} events/s")
    print(
        f"  Outbox.add                     : {ours:8.0f} events/s = {ours / bare:.0%} of bare"
        f"  (target >= 80%: {'met' if ours / bare >= 0.8 else 'NOT met'})"
    )

    store = StateStore(tmp / "catalogue.db")
    items = ten_thousand_services()
    t0 = time.perf_counter()
    for start in range(0, len(items), 500):
        catalogue.apply_delta(store, items[start : start + 500], [], reset=start == 0)
    load_s = time.perf_counter() - t0
    typed = []
    for word in (
        "a",
        "as",
        "asu",
        "asum",
        "passi",
        "päivä",
        "bostad",
        "housing al",
        "vero",
        "tuki",
        "kirj",
        "lupa",
        "digi",
        "terveys",
        "hammas",
        "kansal",
        "muutto",
    ):
        typed += [word[:k] for k in range(1, len(word) + 1)]
    queries = typed * 3
    fts = latencies(lambda q: catalogue.search(store, q), queries)
    like = latencies(
        lambda q: store.db.execute(
            "SELECT id FROM services WHERE item LIKE ? LIMIT 30", [f"%{q}%"]
        ).fetchall(),
        queries,
    )
    print(f"  catalogue of {len(items)} services loaded in {load_s:.1f} s")
    print(
        f"  search-as-you-type (FTS5)      : p50 {p(fts, 50):6.2f} ms  p95 {p(fts, 95):6.2f} ms"
        f"  (target p95 <= 20 ms: {'met' if p(fts, 95) <= 20 else 'NOT met'})"
    )
    print(
        f"  baseline LIKE scan             : p50 {p(like, 50):6.2f} ms  p95 {p(like, 95):6.2f} ms"
        f"  -> FTS p95 = {p(fts, 95) / p(like, 95):.2f}x the scan"
    )


if __name__ == "__main__":
    main()
