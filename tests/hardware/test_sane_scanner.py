"""The SANE scanner driver against SANE's real `test` backend (scanimage -d test)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hardware.base import (
    CoverOpen,
    DeviceOffline,
    DeviceState,
    DeviceTimeout,
    FeederEmpty,
    MediaJam,
)
from hardware.scanner.sane import SaneScanner

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("scanimage") is None, reason="SANE is not installed; ./run test installs it"
    ),
]
PNG = b"\x89PNG\r\n\x1a\n"


def test_flatbed_page_lands_in_the_session_directory(tmp_path):
    scanner = SaneScanner("a4", "test:0", extra_args=("--test-picture", "Color pattern"))
    pages = scanner.scan(tmp_path / "session-1", resolution=50)
    assert [p.name for p in pages] == ["page-1.png"]
    assert pages[0].read_bytes().startswith(PNG) and pages[0].parent == tmp_path / "session-1"
    assert scanner.state == DeviceState.ONLINE


def test_feeder_scans_the_stack_until_empty(tmp_path):
    scanner = SaneScanner("a4", "test:0")
    pages = scanner.scan(tmp_path, source="adf", resolution=50, color=False)
    # SANE's test backend holds 10 sheets in its feeder.
    assert [p.name for p in pages] == [f"page-{n}.png" for n in range(1, 11)]
    assert scanner.status["feeder"] == "empty"


@pytest.mark.parametrize(
    ("status", "error", "state"),
    [
        ("SANE_STATUS_NO_DOCS", FeederEmpty, DeviceState.USER_ERROR),
        ("SANE_STATUS_JAMMED", MediaJam, DeviceState.NEEDS_ATTENTION),
        ("SANE_STATUS_COVER_OPEN", CoverOpen, DeviceState.NEEDS_ATTENTION),
    ],
)
def test_sane_statuses_become_typed_errors_and_leave_no_partial_page(
    tmp_path, status, error, state
):
    # SANE's test backend itself sometimes hangs after returning a fault status (its
    # reader thread, cancelled asynchronously inside malloc, deadlocks on exit: with a
    # 20 mm area 4 scanimage loops side by side hung 8 times in 160 runs). The driver
    # takes the printed status as the answer and kills the hung process, so the fault
    # is reported as itself, and quickly, however often the backend hangs.
    scanner = SaneScanner(
        "a4",
        "test:0",
        timeout_s=20,
        extra_args=("--read-return-value", status, "-x", "20", "-y", "20"),
    )
    with pytest.raises(error):
        scanner.scan(tmp_path, resolution=50)
    assert scanner.state == state
    assert list(tmp_path.glob("*.png")) == []


def test_missing_scanner_is_offline(tmp_path):
    scanner = SaneScanner("a4", "nosuchbackend:0")
    with pytest.raises(DeviceOffline):
        scanner.scan(tmp_path)
    assert scanner.state == DeviceState.OFFLINE


def test_self_test_reports_a_scanned_page():
    report = SaneScanner("a4", "test:0").self_test()
    assert report.passed and report.checks[0]["name"] == "scans a page"


def test_a_scan_that_never_finishes_is_a_timeout_and_leaves_no_process(tmp_path):
    # The test backend waits 200 ms after every buffer it hands over: a full page
    # takes minutes, so the driver's 1 s limit is what ends the scan.
    scanner = SaneScanner(
        "a4",
        "test:0",
        timeout_s=1,
        extra_args=("--read-delay=yes", "--read-delay-duration", "200000"),
    )
    with pytest.raises(DeviceTimeout):
        scanner.scan(tmp_path, resolution=300)
    assert scanner.state == DeviceState.HARDWARE_ERROR
    assert list(tmp_path.glob("*.png")) == []
    running = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert running.stdout == ""
