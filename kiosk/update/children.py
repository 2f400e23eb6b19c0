"""The updater's child processes (venv, pip, a release's smoke test, its migration):
each bounded by a deadline, feeding systemd's watchdog while it runs, and unable to
outlive a kill -9 of the updater.

Under systemd the unit's cgroup is killed with the updater anyway; these rules also
cover a kill of the updater alone. A child in its own process group (`group_file`
names it) is ended as a group by the next pass (pip --python runs a second
interpreter that would go on writing); any other child dies with its parent.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

from kiosk import watchdog

PR_SET_PDEATHSIG = 1
WATCHDOG_EVERY_S = 10


def dies_with_parent() -> None:
    """preexec_fn: the kernel kills the child when the updater dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def end_group(group_file: Path) -> None:
    """End the process group an earlier, killed updater left running."""
    try:
        os.killpg(int(group_file.read_text()), signal.SIGKILL)
        time.sleep(0.2)  # let the kernel reap it before its files are removed
    except (OSError, ValueError):
        pass
    group_file.unlink(missing_ok=True)


def run(
    argv: list[str], timeout_s: float, group_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to its end; subprocess.TimeoutExpired (the child killed) past
    `timeout_s`, OSError when it cannot start."""
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group_file is not None,
        preexec_fn=None if group_file is not None else dies_with_parent,
    )
    if group_file is not None:
        group_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                stdout, stderr = process.communicate(timeout=WATCHDOG_EVERY_S)
                return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)
            except subprocess.TimeoutExpired:
                watchdog.notify("WATCHDOG=1")  # still working, not hung
                if time.monotonic() > deadline:
                    if group_file is not None:
                        os.killpg(process.pid, signal.SIGKILL)
                    else:
                        process.kill()
                    process.wait()
                    raise
    finally:
        if group_file is not None:
            group_file.unlink(missing_ok=True)
