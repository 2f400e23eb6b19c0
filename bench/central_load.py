"""Central under load from separate processes on loopback.

Measures, in one run:
  1. a bare ASGI hello-world under uvicorn (the baseline: what the machine,
     the HTTP stack and the load generator can do with no application work);
  2. heartbeats at full speed (wrk, closed loop) from many enrolled kiosks;
  3. heartbeats at a fixed 333/s (open loop, latency measured from the
     scheduled send time so a stall is not hidden): 10,000 kiosks at 30 s;
  4. usage-event ingest in batches of 100 (wrk, closed loop, unique ids).
Throughput is reported as a ratio to the baseline. Run: ./run bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import requests

from devtools.builders import enrol_kiosks
from devtools.launcher import free_port, launch
from devtools.postgres import start_postgres

ROOT = Path(__file__).resolve().parents[1]

HELLO = textwrap.dedent(
    """
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"hello":"world"}'})
    """
)
HEARTBEAT = {
    "software_version": "0.1.0",
    "config_version": 1,
    "uptime_s": 3600,
    "outbox_depth": 0,
    "dropped_events": 0,
    "ui": {"state": "idle", "since": "2026-11-22T08:00:00+02:00"},
    "devices": [
        {"kind": "printer", "name": "receipt", "state": "online", "detail": {"paper": "ok"}},
        {"kind": "scanner", "name": "a4", "state": "online", "detail": {}},
    ],
    "disk_free_mb": 5000,
}


def start(cmd: list[str], base: str, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"failed to start {cmd}: {proc.stderr.read().decode()[-2000:]}")
        try:
            requests.get(base, timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{cmd} did not start")


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    cmd = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        if script:
            lua.write(script)
    if script:
        cmd += ["-s", lua.name]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    os.unlink(lua.name)

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "none",
    }


def lua_heartbeat(tokens: list[str]) -> str:
    body = json.dumps(HEARTBEAT).replace("\\", "\\\\").replace('"', '\\"')
    return textwrap.dedent(f"""
        local tokens = {{{", ".join(f'"{t}"' for t in tokens)}}}
        local n = 0
        request = function()
            n = n + 1
            local headers = {{}}
            headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]
            headers["Content-Type"] = "application/json"
            return wrk.format("POST", "/api/v1/kiosk/heartbeat", headers, "{body}")
        end
    """)


def lua_events(tokens: list[str], batch: int) -> str:
    return textwrap.dedent(f"""
        local tokens = {{{", ".join(f'"{t}"' for t in tokens)}}}
        local n = 0
        math.randomseed(os.time())
        local function uuid()
            return string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
                local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
                return string.format("%x", v)
            end)
        end
        request = function()
            n = n + 1
            local at = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
            local parts = {{}}
            for i = 1, {batch} do
                parts[i] = '{{"id":"' .. uuid() .. '","type":"service_viewed","at":"' ..
                    at .. '","session_id":"s' .. n ..
                    '","data":{{"service_id":"svc-' .. (i % 30) .. '"}}}}'
            end
            local headers = {{}}
            headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]
            headers["Content-Type"] = "application/json"
            return wrk.format("POST", "/api/v1/kiosk/events", headers,
                              '{{"events":[' .. table.concat(parts, ",") .. ']}}')
        end
    """)


def heartbeat_request(host: str, tokens: list[str]) -> Callable[[int], bytes]:
    """The n-th heartbeat, from the n-th kiosk of `tokens` (round robin)."""
    body = json.dumps(HEARTBEAT).encode()

    def request(n: int) -> bytes:
        return (
            f"POST /api/v1/kiosk/heartbeat HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {tokens[n % len(tokens)]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    return request


async def open_loop(
    host: str,
    port: int,
    tokens: list[str],
    rate: float,
    seconds: float,
    connections: int,
    make_request: Callable[[int], bytes] | None = None,
    kind_of: Callable[[int], str] | None = None,
    on_answer: Callable[[int, bytes], None] | None = None,
) -> dict:
    """Send requests on a fixed schedule over keep-alive connections; latency from schedule.
    Heartbeats from `tokens` unless `make_request(n)` gives the n-th request's bytes;
    `kind_of(n)` groups the latencies (`by_kind`); `on_answer(n, head)` sees each answer's
    head (a poller keeping its ETag). 200 and 304 count as answered."""
    make_request = make_request or heartbeat_request(host, tokens)
    total = int(rate * seconds)
    latencies: list[float] = []
    kinds: dict[str, list[float]] = {}
    failures = 0
    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        while True:
            n, scheduled = await queue.get()
            if n < 0:
                writer.close()
                return
            request = make_request(n)
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                sized = re.search(rb"content-length: (\d+)", head, re.I)
                await reader.readexactly(int(sized.group(1)) if sized else 0)
                ok = head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 304"))
                if ok and on_answer is not None:
                    on_answer(n, head)
            except (OSError, asyncio.IncompleteReadError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            if not ok:
                failures += 1
            latency = (time.perf_counter() - scheduled) * 1000
            latencies.append(latency)
            if kind_of is not None:
                kinds.setdefault(kind_of(n), []).append(latency)

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    t0 = time.perf_counter()
    for n in range(total):
        scheduled = t0 + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((n, scheduled))
    for _ in workers:
        queue.put_nowait((-1, 0.0))
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - t0
    return {
        "sent": total,
        "achieved_rps": total / elapsed,
        "failures": failures,
        **percentiles(latencies),
        "by_kind": {kind: percentiles(values) for kind, values in kinds.items()},
    }


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", help="default: a fresh SQLite file")
    parser.add_argument(
        "--postgres", action="store_true", help="start a private, durable PostgreSQL and use it"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit(
            "bench/central_load.py needs wrk (an HTTP load generator): ./run bench installs it"
        )
    if args.quick:
        args.seconds, args.kiosks = 2, 20

    tmp = Path(tempfile.mkdtemp(prefix="bench-central-"))
    pg = None
    if args.postgres:
        pg = start_postgres(durable=os.environ.get("BENCH_PG_FAST") is None)
        args.database = pg.create_database()
    database = args.database or f"sqlite:///{tmp}/central.db"
    (tmp / "hello.py").write_text(HELLO)
    env = {**os.environ, "PYTHONPATH": f"{tmp}:{ROOT}"}
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--workers",
        str(args.workers),
        "--no-access-log",
    ]

    hello_port = free_port()
    hello = start(
        [*uvicorn, "--port", str(hello_port), "hello:app"], f"http://127.0.0.1:{hello_port}/", env
    )
    try:
        baseline = wrk(f"http://127.0.0.1:{hello_port}/", args.seconds, args.connections)
    finally:
        hello.terminate()
        hello.wait()

    central, base = launch(0, database, workers=args.workers)
    try:
        tokens = enrol_kiosks(base, database, args.kiosks)
        beats = wrk(base, args.seconds, args.connections, lua_heartbeat(tokens))
        fixed = {
            rate: asyncio.run(
                open_loop(
                    "127.0.0.1", int(base.rsplit(":", 1)[1]), tokens, rate, args.seconds * 1.5, 64
                )
            )
            for rate in (100, 200, 333)
        }
        events = wrk(base, args.seconds, 8, lua_events(tokens, 100))
    finally:
        central.terminate()
        central.wait()
        if pg is not None:
            pg.stop()

    backend = database.split(":")[0]
    print(
        f"central load benchmark ({backend}, {args.workers} workers, {os.cpu_count()} cores, "
        f"load generator on the same machine)"
    )
    print(
        f"  baseline hello-world : {baseline['rps']:8.0f} req/s  p50 {baseline['p50_ms']:.1f} ms"
        f"  p99 {baseline['p99_ms']:.1f} ms"
    )
    print(
        f"  heartbeat, max       : {beats['rps']:8.0f} req/s  p50 {beats['p50_ms']:.1f} ms"
        f"  p99 {beats['p99_ms']:.1f} ms  non-2xx {beats['non_2xx']}"
        f"  = {beats['rps'] / baseline['rps']:.2f}x baseline"
    )
    for rate, run in fixed.items():
        verdict = "met" if run["p99_ms"] < 100 else "NOT met"
        print(
            f"  heartbeat at {rate:3d}/s   : {run['achieved_rps']:6.0f} req/s"
            f"  p50 {run['p50_ms']:.1f} ms  p99 {run['p99_ms']:.1f} ms"
            f"  failures {run['failures']}  (p99 < 100 ms: {verdict})"
        )
    print(
        f"  events, 100/batch    : {events['rps'] * 100:8.0f} events/s"
        f"  p99 {events['p99_ms']:.1f} ms"
        f"  non-2xx {events['non_2xx']}  = {events['rps'] / baseline['rps']:.3f}x baseline req/s"
    )


if __name__ == "__main__":
    main()
