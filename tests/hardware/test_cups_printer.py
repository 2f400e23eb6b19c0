"""A4 printing through a private, real cupsd on loopback; the printer at the end of CUPS's
socket backend is a listener in the test that keeps what it receives."""

from __future__ import annotations

import subprocess

import pytest

from hardware.base import DeviceOffline, DeviceState
from hardware.printer.cups import CupsPrinter
from tests.support.cups import cups_available, private_cups

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not cups_available(),
        reason="needs cupsd (./run test installs it) and root to start it",
    ),
]


@pytest.fixture
def cups():
    with private_cups() as found:
        yield found


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
