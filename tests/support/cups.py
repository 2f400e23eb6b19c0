"""A private, real cupsd for tests: one raw queue `a4` whose printer at the end of CUPS's
socket backend is a listener in the test that keeps what it receives. Needs cupsd and
root (./run test installs it; CI runs as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cups_available() -> bool:
    return shutil.which("cupsd") is not None and os.geteuid() == 0


@contextmanager
def private_cups() -> Iterator[tuple[str, bytearray, dict[str, str]]]:
    """A private cupsd on a Unix socket with one raw queue, `a4`, whose printer is a
    listener keeping what it receives: (server, received bytes, environment)."""
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
    try:
        yield server, received, env
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        daemon.terminate()
        daemon.wait(10)
        shutil.rmtree(base, ignore_errors=True)
