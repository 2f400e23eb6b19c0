"""A SANE scanner driven through `scanimage`, pages written into a directory the caller owns.

Give the device with its backend prefix (`test:0`, `epson2:libusb:001:004`):
a bare name makes SANE's dll backend ask every installed backend, network
discovery included, which was seen to take two minutes on a fresh install.

`scanimage` is used rather than python-sane because a crashing backend then
takes down a child process, not the kiosk, and every scan has a hard
timeout. SANE's statuses are mapped to our typed errors in one place
(`_error_for`).

A backend that has reported a fault can still hang while cancelling (SANE's
own `test` backend deadlocks in glibc when its reader thread is cancelled
mid-malloc, a few times in a hundred). The fault is already known then, so
`scanimage` gets `FAULT_GRACE_S` to exit after printing it and is killed
after that: the citizen hears "paper jammed" at once, not after the timeout.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from hardware.base import (
    CoverOpen,
    Device,
    DeviceError,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    FeederEmpty,
    HardwareFault,
    MediaJam,
    SelfTestReport,
)

SOURCES = {"flatbed": "Flatbed", "adf": "Automatic Document Feeder"}
MAX_PAGES = 50
FAULT_GRACE_S = 2.0
# How scanimage prefixes a status a SANE call returned ("sane_read: Document feeder jammed").
_FAULT_PREFIXES = ("sane_start:", "sane_read:")
_MESSAGES: list[tuple[str, type[DeviceError], str]] = [
    ("out of documents", FeederEmpty, "the document feeder is empty"),
    ("jammed", MediaJam, "paper is jammed in the scanner"),
    ("cover is open", CoverOpen, "the scanner cover is open"),
    ("cover open", CoverOpen, "the scanner cover is open"),
    ("device busy", DeviceTimeout, "the scanner is busy"),
    ("no sane devices", DeviceOffline, "no scanner is connected"),
    ("failed to open device", DeviceOffline, "the scanner cannot be opened"),
    ("invalid argument", DeviceOffline, "the scanner cannot be opened"),
    ("access to resource has been denied", DeviceOffline, "no permission to use the scanner"),
]


def _error_for(stderr: str) -> DeviceError:
    lowered = stderr.lower()
    for needle, error, message in _MESSAGES:
        if needle in lowered:
            return error(message)
    return HardwareFault(f"the scanner failed: {stderr.strip()[-200:] or 'no reason given'}")


def _run_scanimage(argv: list[str], timeout_s: float) -> subprocess.CompletedProcess | None:
    """Run scanimage; None if it neither finished nor reported a fault in `timeout_s`.

    Once it has printed a SANE status it is given FAULT_GRACE_S to exit and
    is killed after that; its exit code is then 1, as scanimage's own is.
    """
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    faulted = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if any(prefix in line for prefix in _FAULT_PREFIXES):
                faulted.set()

    reader = threading.Thread(target=read_stderr, name="scanimage-stderr", daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout_s
    returncode: int | None = None
    while returncode is None and time.monotonic() < deadline:
        try:
            returncode = proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if faulted.is_set():
                try:
                    returncode = proc.wait(timeout=FAULT_GRACE_S)
                except subprocess.TimeoutExpired:
                    returncode = 1
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    reader.join(timeout=5)
    if returncode is None:
        return None
    return subprocess.CompletedProcess(argv, returncode, "", "".join(lines))


def _remove_pages(into: Path) -> None:
    """A failed scan leaves nothing behind: a half page is no use and still personal."""
    for partial in into.glob("page-*.png"):
        partial.unlink()


class SaneScanner(Device):
    kind = "scanner"

    def __init__(
        self, name: str, device: str, timeout_s: float = 120.0, extra_args: tuple[str, ...] = ()
    ) -> None:
        super().__init__(name)
        self.device = device
        self.timeout_s = timeout_s
        self.extra_args = extra_args
        self._update(
            DeviceState.ONLINE if shutil.which("scanimage") else DeviceState.OFFLINE,
            feeder="unknown",
        )

    def scan(
        self, into: Path, source: str = "flatbed", resolution: int = 150, color: bool = True
    ) -> list[Path]:
        """Scan into `into` (the citizen's session scratch directory); returns the pages.

        From the feeder, "out of documents" after at least one page is the
        normal end of the stack; before any page it is FeederEmpty.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        if shutil.which("scanimage") is None:
            self._update(DeviceState.OFFLINE)
            raise DeviceOffline("SANE (scanimage) is not installed")
        into.mkdir(parents=True, exist_ok=True)
        argv = [
            "scanimage",
            "-d",
            self.device,
            "--format=png",
            "--resolution",
            str(resolution),
            "--mode",
            "Color" if color else "Gray",
            "--source",
            SOURCES[source],
            *self.extra_args,
        ]
        if source == "adf":
            argv += [f"--batch={into}/page-%d.png", f"--batch-count={MAX_PAGES}"]
        else:
            argv += ["-o", str(into / "page-1.png")]
        self._update(DeviceState.BUSY)
        done = _run_scanimage(argv, self.timeout_s)
        if done is None:
            _remove_pages(into)
            self._update(DeviceState.HARDWARE_ERROR)
            raise DeviceTimeout(f"the scanner did not finish in {self.timeout_s:.0f} s")
        pages = sorted(into.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        pages = [p for p in pages if p.stat().st_size > 0]
        if done.returncode == 0 or (
            source == "adf" and pages and "out of documents" in done.stderr.lower()
        ):
            self._update(DeviceState.ONLINE, feeder="empty" if source == "adf" else "unknown")
            return pages
        _remove_pages(into)
        error = _error_for(done.stderr)
        state = {
            FeederEmpty: DeviceState.USER_ERROR,
            MediaJam: DeviceState.NEEDS_ATTENTION,
            CoverOpen: DeviceState.NEEDS_ATTENTION,
            DeviceOffline: DeviceState.OFFLINE,
        }.get(type(error), DeviceState.HARDWARE_ERROR)
        self._update(
            state,
            feeder="empty" if isinstance(error, FeederEmpty) else "unknown",
            last_error=str(error),
        )
        raise error

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        with tempfile.TemporaryDirectory(prefix="scanner-selftest-") as tmp:
            try:
                pages = self.scan(Path(tmp), resolution=50, color=False)
                report.check("scans a page", len(pages) == 1, f"{pages[0].stat().st_size} bytes")
            except DeviceError as exc:
                report.check("scans a page", False, str(exc))
        return report
