"""A4 printing through a private, real cupsd on loopback; the printer at the end of CUPS's
socket backend is a listener in the test that keeps what it receives."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from hardware.base import DeviceOffline, DeviceState
from hardware.printer.cups import CupsPrinter

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("cupsd") is None or os.geteuid() != 0,
        reason="needs cupsd (./run test installs it) and root to start it",
    ),
]


@pytest.fixture
def cups(tmp_path):
    lp = pwd.getpwnam("lp")
    # cupsd drops to the lp user, which cannot enter pytest's private (0700) tmp folders.
    base = Path(tempfile.mkdtemp(prefix="cups-test-"))
    os.chmod(base, 0o755)
    root = base / "cups"
    for d in (root, root / "spool", root / "cache", root / "state", root / "log"):
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, lp.pw_uid, lp.pw_gid)
    # A Unix socket in our own folder: no port to race another process for.
    cups_socket = base / "cups.sock"
    (root / "cupsd.conf").write_text(
        f"Listen {cups_socket}\nLogLevel warn\nWebInterface No\nDefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    (root / "cups-files.conf").write_text(
        f"FileDevice Yes\nServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\n"
        f"StateDir {root}/state\nErrorLog {root}/log/error_log\nAccessLog {root}/log/access_log\n"
        "User lp\nGroup lp\nSystemGroup root\n"
    )
    daemon = subprocess.Popen(
        ["cupsd", "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = str(cups_socket)
    env = {**os.environ, "CUPS_SERVER": server}
    for _ in range(50):
        if subprocess.run(
            ["lpstat", "-r"], env=env, capture_output=True, text=True
        ).stdout.startswith("scheduler is running"):
            break
        time.sleep(0.2)
    # The printer: a JetDirect-style listener, fed by CUPS's real socket backend.
    listener = socket.create_server(("127.0.0.1", 0))
    received = bytearray()
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                while chunk := conn.recv(65536):
                    received.extend(chunk)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    uri = f"socket://127.0.0.1:{listener.getsockname()[1]}"
    subprocess.run(
        ["lpadmin", "-p", "a4", "-E", "-v", uri, "-m", "raw"],
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    yield server, received, env
    stop.set()
    thread.join(5)
    listener.close()
    daemon.terminate()
    daemon.wait(10)
    shutil.rmtree(base, ignore_errors=True)


def test_job_prints_and_completes(cups, tmp_path):
    server, received, _ = cups
    document = tmp_path / "hakemus.txt"
    document.write_bytes("Hakemus / Ansökan – åäö\n".encode())
    printer = CupsPrinter("a4", "a4", server=server)
    job = printer.print_file(document)
    assert job.startswith("a4-")
    assert bytes(received) == document.read_bytes()
    assert printer.state == DeviceState.ONLINE and printer.self_test().passed


def test_stopped_or_unknown_queue_is_offline(cups, tmp_path):
    server, _, env = cups
    document = tmp_path / "x.txt"
    document.write_text("x")
    subprocess.run(["cupsdisable", "a4"], env=env, check=True, capture_output=True)
    printer = CupsPrinter("a4", "a4", server=server)
    with pytest.raises(DeviceOffline):
        printer.print_file(document)
    assert printer.state == DeviceState.OFFLINE
    missing = CupsPrinter("a4", "no-such-queue", server=server)
    with pytest.raises(DeviceOffline):
        missing.print_file(document)
