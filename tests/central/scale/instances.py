"""Central instances as real processes (`central serve` on a socket of its own), and an
official's desk polling through HAProxy: shared by the scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import requests

from devtools.launcher import bound_socket
from devtools.waiting import wait_for

PERIOD_S = 1.0  # the alerts' period in these tests (CENTRAL_ALERTS_EVERY_S)


@dataclass
class Instance:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, database_url: str, secret_key: str) -> None:
        sock = bound_socket(self.port)
        env = {
            **os.environ,
            "CENTRAL_SECRET_KEY": secret_key,
            "CENTRAL_INSTANCE_NAME": self.name,
            "CENTRAL_ALERTS_EVERY_S": str(PERIOD_S),
            "CENTRAL_MEDIA_CLEANUP_EVERY_S": str(PERIOD_S),
            "CENTRAL_PASSWORD_HASH_MEMORY_KIB": "8192",
            "CENTRAL_PASSWORD_HASH_TIME_COST": "1",
        }
        command = [sys.executable, "-m", "central.cli", "--database", database_url, "serve"]
        command += ["--fd", str(sock.fileno()), "--log-level", "warning"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, pass_fds=[sock.fileno()], stdout=out, stderr=out
            )
        # Only the instance holds its socket: once it dies, connecting is refused at once.
        sock.close()
        base = f"http://127.0.0.1:{self.port}/api/v1/health/ready"
        assert wait_for(lambda: _answers(base), 60), self.log.read_text()[-2000:]

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def kill_if_running(self) -> None:
        """At a test's end, whatever happened to it."""
        if self.process is not None and self.process.poll() is None:
            self.kill()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Desk(threading.Thread):
    """An official's desk polling its state through HAProxy, as the page does."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.answers: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        http = requests.Session()
        while not self.stop.wait(0.25):
            try:
                status = http.get(
                    f"{self.base}/api/v1/desk/state",
                    headers={"Authorization": f"Bearer {self.token}"},
                    timeout=10,
                ).status_code
            except requests.RequestException:
                status = 0
            self.answers.append(status)
