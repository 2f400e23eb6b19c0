"""Start `central serve` as a child process and wait until it answers /health.

Used by the demo, the benchmarks and the CLI tests, so there is one way to
run a real central next to something else.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests


class CentralDidNotStart(RuntimeError):
    pass


def bound_socket(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on loopback: bound before anyone learns its port, so nothing
    else can take the port between choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def free_port() -> int:
    """A port free right now, for programs that cannot be handed a bound socket (Chromium's
    debugging port, the demo's --port). Another process may take it before they bind:
    prefer `bound_socket`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(
    port: int = 0,
    database: str | None = None,
    workers: int = 1,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = True,
    timeout_s: float = 60.0,
    host: str = "127.0.0.1",
) -> tuple[subprocess.Popen[Any], str]:
    """Returns the process and its base URL; raises CentralDidNotStart with its output.

    Port 0 (the default): any free port, bound here and handed to central as a socket.
    """
    sock = bound_socket(port, host)
    port = sock.getsockname()[1]
    env = dict(os.environ if env is None else env)
    if database and not database.startswith("sqlite") and "CENTRAL_SECRET_KEY" not in env:
        # A server database has no folder to keep the key beside: never the working one.
        env["CENTRAL_SECRET_KEY"] = secrets.token_hex(32)
    argv = [sys.executable, "-m", "central.cli"]
    if database is not None:
        argv += ["--database", database]
    argv += ["serve", "--fd", str(sock.fileno()), "--workers", str(workers)]
    argv += ["--log-level", "warning"]
    output = subprocess.PIPE if quiet else None
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=output, stderr=output, pass_fds=[sock.fileno()]
    )
    sock.close()  # the child has its own copy
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = (
                proc.stderr.read().decode(errors="replace")[-2000:] if quiet and proc.stderr else ""
            )
            raise CentralDidNotStart(f"central stopped while starting. {said}".strip())
        try:
            if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise CentralDidNotStart(f"central did not answer on {base} within {timeout_s:.0f} s")
