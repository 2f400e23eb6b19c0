"""Central under abuse: do anonymous floods slow the kiosks? (issue 12, H2 and M2)

One central on SQLite with 2 workers, on loopback. In one run:
  1. baseline: heartbeat latency of one kiosk with nothing else going on;
  2. a login flood: 60 connections sending wrong passwords for unknown
     addresses as fast as they can, while the kiosk beats;
  3. two anonymous 50 MiB uploads to /catalogue/import at once, while the
     kiosk beats: how long until each is refused, and central's memory.
Latencies are reported as ratios to the baseline. Every loop is bounded.
Run: ./run bench (or .venv/bin/python -m bench.central_abuse).
"""

from __future__ import annotations

import argparse
import random
import select
import socket
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from devtools.builders import enrol_kiosks
from devtools.launcher import launch

ROOT = Path(__file__).resolve().parents[1]

BEATS = 150
MiB = 1024 * 1024


def rss_mib(pid: int) -> float:
    """Resident memory of central and its worker processes."""
    total = 0
    pids = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(p) for p in child.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def beat_latencies(base: str, token: str, count: int | None = None) -> list[float]:
    http = requests.Session()
    out = []
    for _ in range(count or BEATS):
        start = time.perf_counter()
        r = http.post(
            f"{base}/api/v1/kiosk/heartbeat",
            json={},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        r.raise_for_status()
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(0.01)
    return out


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(values):7.1f} ms, p99 {p99:7.1f} ms"


def login_flood(base: str, stop: threading.Event, counts: list[int]) -> None:
    http = requests.Session()
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        email = f"nobody-{uuid.uuid4().hex[:8]}@example.fi"
        # Many client addresses (documentation ranges, only ever a header value here), as
        # a botnet would have, so the per-address throttle does not end the flood early.
        address = (
            f"{random.choice(['192.0.2', '198.51.100', '203.0.113'])}.{random.randint(1, 254)}"
        )
        try:
            r = http.post(
                f"{base}/api/v1/auth/login",
                json={"email": email, "password": "wrong-password"},
                headers={"X-Forwarded-For": address},
                timeout=30,
            )
            counts.append(r.status_code)
        except requests.RequestException:
            counts.append(0)


def anonymous_upload(base: str, results: list[tuple[int, float]]) -> None:
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/catalogue/import HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {50 * MiB}\r\n\r\n"
    ).encode()
    start = time.perf_counter()
    status = 0
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        chunk = b" " * MiB
        answer = b""
        for _ in range(50):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:  # central answered before the body was all sent
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = b""
        if answer.startswith(b"HTTP/1.1 "):
            status = int(answer.split(b" ", 2)[1])
    results.append((status, time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    if parser.parse_args().quick:
        global BEATS
        BEATS = 30
    workdir = Path(tempfile.mkdtemp(prefix="abuse-"))
    database = f"sqlite:///{workdir}/central.db"
    proc, base = launch(0, database, workers=2, cwd=workdir)
    try:
        [token] = enrol_kiosks(base, database, 1)

        beat_latencies(base, token, 30)  # warm-up
        rss_before = rss_mib(proc.pid)
        baseline = beat_latencies(base, token)
        print(f"baseline heartbeats:            {summary(baseline)}")

        stop, counts = threading.Event(), []
        flooders = [
            threading.Thread(target=login_flood, args=(base, stop, counts)) for _ in range(60)
        ]
        for t in flooders:
            t.start()
        time.sleep(1)
        flooded = beat_latencies(base, token)
        stop.set()
        for t in flooders:
            t.join(timeout=60)
        statuses = {s: counts.count(s) for s in sorted(set(counts))}
        print(f"during a 60-connection login flood: {summary(flooded)}")
        print(f"  logins answered: {len(counts)} {statuses}")
        print(
            "  median heartbeat vs baseline: "
            f"{statistics.median(flooded) / statistics.median(baseline):.2f}x"
        )

        results: list[tuple[int, float]] = []
        uploads = [
            threading.Thread(target=anonymous_upload, args=(base, results)) for _ in range(2)
        ]
        during: list[float] = []
        beater = threading.Thread(target=lambda: during.extend(beat_latencies(base, token, 60)))
        for t in uploads:
            t.start()
        beater.start()
        for t in [*uploads, beater]:
            t.join(timeout=120)
        print(f"during two anonymous 50 MiB uploads: {summary(during)}")
        for status, seconds in results:
            print(f"  upload refused with {status} after {seconds:.3f} s")
        print(f"  central's memory: {rss_before:.0f} MiB before, {rss_mib(proc.pid):.0f} MiB after")
        print(
            "  median heartbeat vs baseline: "
            f"{statistics.median(during) / statistics.median(baseline):.2f}x"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
