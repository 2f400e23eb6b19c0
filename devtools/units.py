"""A stand-in for systemd where systemd cannot run (a container, a CI box): keeps the
kiosk's units running the way their unit files say (Restart=always), and lets the
updater stop and start them.

    python -m devtools.units run --pidfile P --unit agent='releases/current/venv/bin/kiosk-agent …'
    python -m devtools.units control --pidfile P stop|start

Each unit's command is split anew at every start, so a path through the `current` link
starts whatever release it points at then, as systemd's ExecStart does. `control`
returns once the supervisor has done it, like `systemctl stop`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

RESTART_S = 1.0
STOP_TIMEOUT_S = 15.0


class Units:
    def __init__(self, units: dict[str, str], state_file: Path) -> None:
        self.units = units
        self.state_file = state_file
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.wanted = True
        self.stopping = False
        self.last_start: dict[str, float] = {}
        self.starts = 0

    def _say(self, state: str) -> None:
        self.state_file.write_text(f"{state} {self.starts}")

    def start(self) -> None:
        self.wanted = True
        for name, command in self.units.items():
            process = self.running.get(name)
            if process is None or process.poll() is not None:
                self.running[name] = subprocess.Popen(shlex.split(command))
                self.last_start[name] = time.monotonic()
                self.starts += 1
        self._say("started")

    def stop(self) -> None:
        self.wanted = False
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()
        self._say("stopped")

    def tick(self) -> None:
        """Restart=always: a unit that exited starts again after RESTART_S."""
        if not self.wanted:
            return
        for name, process in list(self.running.items()):
            if process.poll() is not None and time.monotonic() - self.last_start[name] > RESTART_S:
                del self.running[name]
        if len(self.running) < len(self.units):
            self.start()


def run(units: Units, pidfile: Path) -> int:
    asked: list[str] = []
    signal.signal(signal.SIGUSR1, lambda *_: asked.append("stop"))
    signal.signal(signal.SIGUSR2, lambda *_: asked.append("start"))
    signal.signal(signal.SIGTERM, lambda *_: asked.append("exit"))
    pidfile.write_text(str(os.getpid()))
    units.start()
    while True:
        while asked:
            what = asked.pop(0)
            if what == "exit":
                units.stop()
                return 0
            units.stop() if what == "stop" else units.start()
        units.tick()
        time.sleep(0.1)


def control(pidfile: Path, verb: str) -> int:
    state_file = pidfile.with_suffix(".state")
    pid = int(pidfile.read_text())
    before = state_file.read_text() if state_file.exists() else ""
    os.kill(pid, signal.SIGUSR1 if verb == "stop" else signal.SIGUSR2)
    deadline = time.monotonic() + STOP_TIMEOUT_S + 5
    while time.monotonic() < deadline:
        now = state_file.read_text() if state_file.exists() else ""
        if now != before and now.startswith("stopped" if verb == "stop" else "started"):
            return 0
        if verb == "start" and now.startswith("started") and before.startswith("started"):
            return 0  # already running: systemctl start is a no-op too
        time.sleep(0.05)
    print(f"units did not {verb} in time", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devtools.units", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--pidfile", type=Path, required=True)
    r.add_argument("--unit", action="append", default=[], help="NAME=COMMAND")
    c = sub.add_parser("control")
    c.add_argument("--pidfile", type=Path, required=True)
    c.add_argument("verb", choices=["stop", "start"])
    args = parser.parse_args(argv)
    if args.command == "control":
        return control(args.pidfile, args.verb)
    units = dict(u.split("=", 1) for u in args.unit)
    return run(Units(units, args.pidfile.with_suffix(".state")), args.pidfile)


if __name__ == "__main__":
    sys.exit(main())
