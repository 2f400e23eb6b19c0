"""HAProxy from Debian's package in front of central instances, run from the repository's
own config (central/deploy/haproxy.cfg) with a test's addresses in place of its examples:
what is tested is the file an operator installs."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

CONFIG = Path(__file__).resolve().parent.parent / "central" / "deploy" / "haproxy.cfg"
INSTALL_HINT = "apt-get install haproxy (./run test installs it)"


def config_for(port: int, servers: list[tuple[str, str]], check_inter_ms: int = 1000) -> str:
    """The shipped config, listening on 127.0.0.1:`port`, with `servers` (name, host:port)."""
    text = CONFIG.read_text()
    text = re.sub(r"^    bind 127\.0\.0\.1:8000$", f"    bind 127.0.0.1:{port}", text, flags=re.M)
    text = re.sub(r"^    server central\d .*\n", "", text, flags=re.M)
    # A test box's descriptor limit may be low; a test needs few connections.
    text = re.sub(r"^    maxconn \d+$", "    maxconn 1000", text, flags=re.M)
    text = text.replace("default-server inter 1s", f"default-server inter {check_inter_ms}ms")
    lines = "".join(f"    server {name} {address} check\n" for name, address in servers)
    return text.rstrip("\n") + "\n" + lines


@dataclass
class RunningHaproxy:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "haproxy.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_haproxy(port: int, servers: list[tuple[str, str]]) -> RunningHaproxy:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise RuntimeError(f"HAProxy is not installed: {INSTALL_HINT}")
    folder = Path(tempfile.mkdtemp(prefix="haproxy-"))
    config = folder / "haproxy.cfg"
    config.write_text(config_for(port, servers))
    check = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, timeout=30)
    if check.returncode != 0:
        raise RuntimeError(f"HAProxy refused its config: {check.stdout.decode()[-800:]}")
    log = (folder / "haproxy.log").open("wb")
    process = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=log, stderr=log)
    running = RunningHaproxy(port, folder, process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"HAProxy stopped: {running.log.read_text()[-800:]}")
        try:
            requests.get(f"{running.base}/api/v1/health", timeout=2)
            return running
        except requests.RequestException:
            time.sleep(0.1)
    running.stop()
    raise RuntimeError("HAProxy did not start listening")
