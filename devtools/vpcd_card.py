"""A smart card written in Python, speaking vsmartcard's vpcd protocol to pcscd.

Inserting the card is connecting to vpcd's port; removing it is closing the
connection. Messages are a 2-byte big-endian length and a payload: a 1-byte
payload is a control code (0 power off, 1 power on, 2 reset, 4 get ATR),
anything longer is a command APDU to answer.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VPCD_PORT = 0x8C7B
ATR = bytes.fromhex("3B8880010000000000718108")  # a plain T=1 ATR


class VirtualCard:
    def __init__(self, answers: dict[bytes, bytes] | None = None) -> None:
        self.answers = answers or {}
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.seen: list[bytes] = []

    def insert(self, port: int = VPCD_PORT) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def remove(self) -> None:
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self.thread:
            self.thread.join(5)
        self.sock = self.thread = None

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise ConnectionError("the card is not in the reader")
        return self.sock

    def _recv(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._socket().recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        self._socket().sendall(struct.pack(">H", len(payload)) + payload)

    def reply(self, apdu: bytes) -> bytes:
        """The card's answer to a command APDU (a card with state overrides this)."""
        return self.answers.get(apdu, b"\x6d\x00")

    def _serve(self) -> None:
        try:
            self._socket().settimeout(None)
            while True:
                (length,) = struct.unpack(">H", self._recv(2))
                message = self._recv(length)
                if length == 1:
                    if message[0] == 4:
                        self._send(ATR)
                    continue
                self.seen.append(message)
                self._send(self.reply(message))
        except (ConnectionError, OSError, struct.error):
            return


def vpcd_listening(port: int = VPCD_PORT) -> bool:
    """pcscd's vpcd driver is ready for cards: its port is in LISTEN state (checked in
    /proc, since connecting to it would count as inserting a card)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            if local.endswith(f":{port:04X}") and state == "0A":
                return True
    return False


def pcscd_running() -> bool:
    return subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0


READER_VISIBLE = (
    "import sys\n"
    "from smartcard.System import readers\n"
    "sys.exit(0 if any('Virtual PCD' in str(r) for r in readers()) else 1)\n"
)


def reader_visible(seconds: float = 10.0) -> bool:
    """Whether a PC/SC client, in a fresh process, sees the virtual reader."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = subprocess.run(
            [sys.executable, "-c", READER_VISIBLE], capture_output=True, timeout=30
        )
        if seen.returncode == 0:
            return True
        time.sleep(0.3)
    return False


def start_pcscd() -> subprocess.Popen[bytes]:
    """A fresh pcscd whose virtual reader PC/SC clients can see.

    Retried from scratch: in fresh-clone suite runs a new pcscd sometimes listened on
    vpcd's port yet never showed the reader to clients (the card tests then waited in
    vain), while it always did alone. pcscd's own log goes to pcscd-test.log beside the
    lock, for the next time it happens.
    """
    log_path = Path(tempfile.gettempdir()) / "pcscd-test.log"
    # Eight tries, about two minutes: the spells when no new pcscd shows its reader last
    # about a minute (one fresh-clone run saw five tries in 52 s all fail).
    for attempt in range(8):
        # The old pcscd must be gone, port and all: a new one cannot bind vpcd's port
        # while it lingers, and the old listener would pass for the new one.
        subprocess.run(["pkill", "-x", "pcscd"], check=False)
        deadline = time.monotonic() + 10
        while pcscd_running() or vpcd_listening():
            if time.monotonic() > deadline + 5:
                raise RuntimeError("the previous pcscd does not go away")
            if time.monotonic() > deadline:
                subprocess.run(["pkill", "-9", "-x", "pcscd"], check=False)
            time.sleep(0.1)
        with log_path.open("wb") as log:  # the latest pcscd only: no growth
            proc = subprocess.Popen(["pcscd", "-f", "-d"], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not vpcd_listening():
            time.sleep(0.1)
        if vpcd_listening() and reader_visible():
            return proc
        with (log_path.parent / "pcscd-test-retries.log").open("a") as retries:
            retries.write(f"{time.ctime()}: reader not visible, starting pcscd again\n")
        proc.terminate()
        proc.wait(10)
        time.sleep(1.0 * (attempt + 1))  # a loaded machine: give it room before the next
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    # The head says whether the reader was added at all; the tail what clients saw.
    raise RuntimeError(
        "pcscd's virtual reader did not become visible to clients\n"
        f"{text[:2000]}\n[…]\n{text[-2000:]}"
    )


def stop_pcscd(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def connect_card(card: VirtualCard) -> None:
    for _ in range(50):
        try:
            card.insert()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("vpcd did not accept the virtual card")


class Pcscd:
    """A real pcscd for the test; `restart()` is the fault under test."""

    def __init__(self) -> None:
        self.proc = start_pcscd()

    def stop(self) -> None:
        stop_pcscd(self.proc)

    def start(self) -> None:
        self.proc = start_pcscd()


@contextmanager
def exclusive_pcscd() -> Iterator[None]:
    """Held while a test owns the system's one pcscd and vpcd port, across test workers.

    The image build (tests/images) holds it too: in fresh-clone runs the card tests
    failed 2 times in 3 while the build ran beside them (the reader never came online
    within 20 s), and passed every time alone.
    """
    lock = (Path(tempfile.gettempdir()) / "palvelupiste-pcscd.lock").open("a")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()


@contextmanager
def pcscd_for_this_test() -> Iterator[Pcscd]:
    """A real pcscd, one test at a time across test workers: there is one system pcscd
    and one vpcd port, so tests in parallel processes would share a reader."""
    with exclusive_pcscd():
        daemon = Pcscd()
        try:
            yield daemon
        finally:
            daemon.stop()
