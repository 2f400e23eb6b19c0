"""The ESC/POS receipt printer against a fake printer on a pseudo-terminal and on TCP."""

from __future__ import annotations

import pytest

from hardware.base import CoverOpen, DeviceOffline, DeviceState, OutOfPaper
from hardware.printer import escpos
from hardware.printer.receipt import ReceiptPrinter, SerialTransport, TcpTransport
from hardware.sim.escpos_printer import PtyPrinter, TcpPrinter

pytestmark = pytest.mark.slow


@pytest.fixture(params=["pty", "tcp"])
def rig(request):
    if request.param == "pty":
        fake = PtyPrinter()
        printer = ReceiptPrinter("receipt", lambda: SerialTransport(fake.port))
    else:
        fake = TcpPrinter()
        printer = ReceiptPrinter("receipt", lambda: TcpTransport(*fake.address))
    yield fake, printer
    fake.stop()


def test_receipt_with_nordic_letters_qr_and_cut(rig):
    fake, printer = rig
    changes = []
    printer.when_status_changed = lambda device: changes.append(device.state)
    printer.print_receipt(["Jonotusnumero A-042", "Hämeenlinna, Åbo, €5"], qr="A042", title="Kela")
    data = bytes(fake.printed)
    assert data.startswith(escpos.INIT + escpos.CODEPAGE_PC858)
    assert "Hämeenlinna, Åbo, €5".encode("cp858") in data
    assert b"A042" in data and b"\x1d(k" in data  # QR stored and printed
    assert data.endswith(escpos.CUT)
    assert printer.state == DeviceState.ONLINE and printer.status["paper"] == "ok"
    assert DeviceState.BUSY in changes


@pytest.mark.parametrize(
    ("mode", "error", "state"),
    [
        ("out", OutOfPaper, DeviceState.NEEDS_ATTENTION),
        ("cover", CoverOpen, DeviceState.NEEDS_ATTENTION),
        ("silent", DeviceOffline, DeviceState.OFFLINE),
    ],
)
def test_faults_raise_typed_errors_and_print_nothing(rig, mode, error, state):
    fake, printer = rig
    fake.mode = mode
    with pytest.raises(error):
        printer.print_receipt(["x"])
    assert printer.state == state and fake.printed == bytearray()


def test_paper_low_still_prints_but_asks_for_attention(rig):
    fake, printer = rig
    fake.mode = "low"
    printer.print_receipt(["x"])
    assert printer.state == DeviceState.NEEDS_ATTENTION and printer.status["paper"] == "low"


def test_printer_gone_mid_job_is_reported_not_ok(rig):
    fake, printer = rig
    printer.refresh_status()
    fake.mode = "gone"
    with pytest.raises(DeviceOffline):
        printer.print_receipt(["lost"])
    assert printer.state == DeviceState.OFFLINE
    assert printer.status["paper"] == "unknown"


def test_empty_or_short_status_is_unknown_never_ok():
    assert escpos.parse_status(b"", b"", b"").paper == "unknown"
    assert escpos.parse_status(b"\x12", b"\x12", b"").paper == "unknown"
    assert escpos.parse_status(b"\x12", b"\x12", b"\xff").paper == "unknown"  # not a status byte
    assert escpos.parse_status(b"\x12", b"\x12", b"\x12").paper == "ok"


def test_self_test_prints_a_test_page(rig):
    fake, printer = rig
    report = printer.self_test()
    assert report.passed and [c["name"] for c in report.checks][-1] == "test page printed"
    assert "åäö".encode("cp858") in bytes(fake.printed)
    fake.mode = "out"
    failed = printer.self_test()
    assert (
        not failed.passed and {"name": "paper", "passed": False, "detail": "out"} in failed.checks
    )


def test_unopenable_port_is_offline():
    printer = ReceiptPrinter("receipt", lambda: SerialTransport("/dev/does-not-exist"))
    with pytest.raises(DeviceOffline):
        printer.print_receipt(["x"])
    assert printer.state == DeviceState.OFFLINE
