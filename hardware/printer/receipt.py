"""A receipt printer speaking ESC/POS over a serial port or TCP, as one Device."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Protocol

import serial

from hardware.base import (
    CoverOpen,
    Device,
    DeviceOffline,
    DeviceState,
    OutOfPaper,
    SelfTestReport,
)
from hardware.printer import escpos

REPLY_TIMEOUT_S = 0.5
WRITE_TIMEOUT_S = 5.0


class Transport(Protocol):
    def write(self, data: bytes) -> None: ...
    def read_reply(self, timeout_s: float) -> bytes: ...
    def close(self) -> None: ...


class SerialTransport:
    def __init__(self, port: str, baudrate: int = 19200) -> None:
        self.port = serial.Serial(
            port, baudrate=baudrate, timeout=REPLY_TIMEOUT_S, write_timeout=WRITE_TIMEOUT_S
        )

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def read_reply(self, timeout_s: float) -> bytes:
        self.port.timeout = timeout_s
        return self.port.read(1)

    def close(self) -> None:
        self.port.close()


class TcpTransport:
    """A network printer (port 9100)."""

    def __init__(self, host: str, port: int = 9100) -> None:
        self.sock = socket.create_connection((host, port), timeout=WRITE_TIMEOUT_S)

    def write(self, data: bytes) -> None:
        self.sock.settimeout(WRITE_TIMEOUT_S)
        self.sock.sendall(data)

    def read_reply(self, timeout_s: float) -> bytes:
        self.sock.settimeout(timeout_s)
        try:
            return self.sock.recv(1)
        except TimeoutError:
            return b""

    def close(self) -> None:
        self.sock.close()


class ReceiptPrinter(Device):
    kind = "printer"

    def __init__(self, name: str, connect: Callable[[], Transport]) -> None:
        super().__init__(name)
        self._connect = connect
        self._transport: Transport | None = None

    def _link(self) -> Transport:
        if self._transport is None:
            try:
                self._transport = self._connect()
            except (OSError, serial.SerialException) as exc:
                self._update(DeviceState.OFFLINE, paper="unknown")
                raise DeviceOffline(f"printer {self.name} cannot be opened: {exc}") from exc
        return self._transport

    def _drop_link(self) -> None:
        if self._transport is not None:
            try:
                self._transport.close()
            except OSError:
                pass
        self._transport = None

    def _ask(self, n: int) -> bytes:
        link = self._link()
        link.write(escpos.status_query(n))
        return link.read_reply(REPLY_TIMEOUT_S)

    def plugged_in(self) -> None:
        self._drop_link()  # the old file descriptor points at a device that went away
        self.refresh_status()

    def refresh_status(self) -> escpos.PrinterStatus:
        """Query the printer; a printer that does not answer is offline, never 'ok'."""
        with self._lock:
            try:
                status = escpos.parse_status(
                    self._ask(escpos.QUERY_PRINTER),
                    self._ask(escpos.QUERY_OFFLINE),
                    self._ask(escpos.QUERY_PAPER),
                )
            except (OSError, serial.SerialException, DeviceOffline):
                self._drop_link()
                status = escpos.PrinterStatus(None, None, "unknown", None)
        if status.online is None and status.paper == "unknown":
            state = DeviceState.OFFLINE
        elif status.paper == "out" or status.cover_open or status.error:
            state = DeviceState.NEEDS_ATTENTION if not status.error else DeviceState.HARDWARE_ERROR
        elif status.paper in ("low", "unknown"):
            state = DeviceState.NEEDS_ATTENTION
        else:
            state = DeviceState.ONLINE
        self._update(state, paper=status.paper, cover_open=status.cover_open, online=status.online)
        return status

    def _ready_or_raise(self, status: escpos.PrinterStatus) -> None:
        if status.online is None:
            raise DeviceOffline(f"printer {self.name} does not answer")
        if status.paper == "out":
            raise OutOfPaper(f"printer {self.name} is out of paper")
        if status.cover_open:
            raise CoverOpen(f"printer {self.name} has its cover open")

    def print_receipt(
        self, lines: list[str], qr: str | None = None, title: str | None = None
    ) -> None:
        """Print and confirm with a status query afterwards: a printer switched off
        mid-job loses the job silently, so silence after printing is an error."""
        self._ready_or_raise(self.refresh_status())
        job = escpos.INIT + escpos.CODEPAGE_PC858
        if title:
            job += escpos.CENTER + escpos.DOUBLE_SIZE + escpos.text(title) + escpos.NORMAL_SIZE
        job += escpos.LEFT + b"".join(escpos.text(line) for line in lines)
        if qr:
            job += escpos.CENTER + escpos.qr(qr) + b"\n" + escpos.LEFT
        job += escpos.CUT
        self._update(DeviceState.BUSY)
        with self._lock:
            try:
                self._link().write(job)
            except (OSError, serial.SerialException) as exc:
                self._drop_link()
                self._update(DeviceState.OFFLINE, paper="unknown")
                raise DeviceOffline(f"printer {self.name} went away while printing") from exc
        time.sleep(0.05)
        self._ready_or_raise(self.refresh_status())

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        status = self.refresh_status()
        report.check("answers status queries", status.online is not None, self.state.value)
        report.check("paper", status.paper in ("ok", "low"), status.paper)
        report.check("cover closed", status.cover_open is False, str(status.cover_open))
        if report.passed:
            try:
                self.print_receipt(
                    ["Palvelupiste", "Testitulostus / Testutskrift / Test print", "åäö ÅÄÖ €"],
                    title="TEST",
                )
                report.check("test page printed", True)
            except Exception as exc:  # a self-test reports, it does not raise
                report.check("test page printed", False, str(exc))
        return report
