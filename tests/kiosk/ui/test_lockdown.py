"""The real `kiosk-ui` process: Escape pressed on the X display does nothing, SIGTERM
stops it cleanly (Kivy turns SIGTERM into a close request, which the lockdown vetoes),
and the main loop keeps systemd's watchdog fed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from devtools.kiosk_state import make_state
from devtools.waiting import wait_for
from kiosk.store import StateStore

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is installed by ./run test")
def test_escape_is_ignored_and_sigterm_stops_cleanly(tmp_path, display):
    state_dir = tmp_path / "state"
    store, _ = make_state(state_dir)
    # systemd's notify socket, for real: the UI pings it from its main loop.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(10)
    # The sound server is asked for once the screen is up (on a kiosk, that starts it):
    # a pactl first on the PATH notes that it was asked, and what.
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "pactl").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "pactl.asked"}\n')
    (shims / "pactl").chmod(0o755)
    ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.ui.cli",
            "run",
            "--state-dir",
            str(state_dir),
            "--windowed",
            "--devices",
            '{"printer": "sim"}',
        ],
        env=os.environ
        | {
            "DISPLAY": display,
            "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
            "PATH": f"{shims}:{os.environ['PATH']}",
        },
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "ui.log").open("wb"),  # a pipe nobody reads would fill and block it
    )
    try:
        alive = lambda: (store.get_state("ui.alive") or {}).get("state") == "attract"  # noqa: E731
        assert wait_for(alive, 60)
        # READY at the first frame (systemd's watchdog counts from there) and the pings
        # from the main loop (one may come before READY: its tick runs on its own).
        said = [notify.recv(64) for _ in range(3)]
        assert b"READY=1" in said and b"WATCHDOG=1" in said, said
        asked = tmp_path / "pactl.asked"
        assert wait_for(asked.exists, 30)
        assert asked.read_text() == "list short sources\n"
        window = subprocess.run(
            ["xdotool", "search", "--sync", "--classname", "python"],
            capture_output=True,
            text=True,
            timeout=30,
            env=os.environ | {"DISPLAY": display},
        ).stdout.split()[0]
        for keys in (["Escape"], ["alt+F4"], ["ctrl+q"], ["ctrl+w"]):
            subprocess.run(
                ["xdotool", "windowfocus", "--sync", window, "key", *keys],
                timeout=30,
                env=os.environ | {"DISPLAY": display},
                check=True,
            )
        log_file = tmp_path / "ui.log"
        assert wait_for(lambda: "ignored key 119 ctrl" in log_file.read_text(), 20)  # ctrl+w, last
        assert ui.poll() is None, "a key combination closed the kiosk"
        log = log_file.read_text()
        assert "lockdown: ignored key 27" in log  # Escape reached the app and was swallowed
        assert "ignored key 113 ctrl" in log
        started = time.monotonic()
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(30) == 0
        stopping = time.monotonic() - started
        assert StateStore(state_dir / "state.db").get_state("ui.alive")["state"] == "down"
        print(f"SIGTERM to exit: {stopping:.2f} s")
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()
