"""A4 printing through CUPS (`lp`, `lpstat`): a queue as one Device.

CUPS already knows every office printer, so the kiosk hands it the file and
follows the job to completion. Every command runs with a timeout; a queue
that is missing, stopped or unreachable is `offline`, never "probably fine".
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from hardware.base import (
    Device,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    HardwareFault,
    SelfTestReport,
)

COMMAND_TIMEOUT_S = 15.0


class CupsPrinter(Device):
    kind = "printer"

    def __init__(self, name: str, queue: str, server: str | None = None) -> None:
        super().__init__(name)
        self.queue = queue
        self.env = {**os.environ, **({"CUPS_SERVER": server} if server else {})}

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        if shutil.which(argv[0]) is None:
            self._update(DeviceState.OFFLINE, reason="CUPS client tools are not installed")
            raise DeviceOffline("CUPS is not installed")
        try:
            return subprocess.run(
                argv, capture_output=True, text=True, env=self.env, timeout=COMMAND_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as exc:
            self._update(DeviceState.OFFLINE, reason="CUPS does not answer")
            raise DeviceTimeout("CUPS did not answer in time") from exc

    def refresh_status(self) -> DeviceState:
        done = self._run("lpstat", "-p", self.queue)
        out = done.stdout + done.stderr
        if done.returncode != 0 or "is not running" in out or "Invalid destination" in out:
            self._update(DeviceState.OFFLINE, reason=out.strip()[:200] or "no such queue")
        elif "disabled" in out:
            self._update(DeviceState.OFFLINE, reason="the print queue is stopped")
        elif "now printing" in out:
            self._update(DeviceState.BUSY, reason="")
        else:
            self._update(DeviceState.ONLINE, reason="")
        return self.state

    def print_file(self, path: Path, copies: int = 1, timeout_s: float = 120.0) -> str:
        """Print and wait until CUPS reports the job completed; returns the job id."""
        if self.refresh_status() == DeviceState.OFFLINE:
            raise DeviceOffline(f"A4 printer {self.name}: {self.status.get('reason')}")
        done = self._run("lp", "-d", self.queue, "-n", str(copies), str(path))
        match = re.search(r"request id is (\S+)", done.stdout)
        if done.returncode != 0 or not match:
            raise HardwareFault(f"CUPS refused the job: {(done.stderr or done.stdout).strip()}")
        job = match.group(1)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pending = self._run("lpstat", "-W", "not-completed", "-o", self.queue).stdout
            if job not in pending.split():
                break
            time.sleep(0.3)
        else:
            self._run("cancel", job)
            raise DeviceTimeout(f"job {job} did not finish in {timeout_s:.0f} s; cancelled")
        finished = self._run("lpstat", "-W", "completed", "-o", self.queue).stdout
        if job not in finished.split():
            raise HardwareFault(f"job {job} ended without completing")
        self.refresh_status()
        return job

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        state = self.refresh_status()
        report.check("queue ready", state != DeviceState.OFFLINE, self.status.get("reason", ""))
        return report
