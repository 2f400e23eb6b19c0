"""A simulated ESC/POS printer at the other end of a pseudo-terminal or TCP socket.

It answers DLE EOT status queries like an Epson TM-series printer, keeps
everything else as the printed byte stream, and can be switched to paper
low/out, cover open, silent (no status replies) or gone (stops reading).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import tty

OK_BYTE = 0b0001_0010


class FakePrinter:
    def __init__(self) -> None:
        self.mode = "ok"
        self.printed = bytearray()
        self._stop = threading.Event()
        self._pending = b""

    def status_reply(self, n: int) -> bytes:
        if self.mode == "silent":
            return b""
        if n == 1:
            return bytes([OK_BYTE])
        if n == 2:
            return bytes([OK_BYTE | (0b100 if self.mode == "cover" else 0)])
        if n == 4:
            extra = {"low": 0b0000_1100, "out": 0b0110_0000}.get(self.mode, 0)
            return bytes([OK_BYTE | extra])
        return b""

    def feed(self, data: bytes) -> bytes:
        """Consume bytes from the host; return the replies to send back."""
        buf = self._pending + data
        replies = b""
        out = bytearray()
        i = 0
        while i < len(buf):
            if buf[i] == 0x10 and i + 1 < len(buf) and buf[i + 1] == 0x04:
                if i + 2 >= len(buf):
                    break
                replies += self.status_reply(buf[i + 2])
                i += 3
                continue
            if buf[i] == 0x10 and i + 1 >= len(buf):
                break
            out.append(buf[i])
            i += 1
        self._pending = bytes(buf[i:])
        self.printed += out
        return replies

    def stop(self) -> None:
        self._stop.set()


class PtyPrinter(FakePrinter):
    """The host opens `self.port` (the pty's slave) with pyserial."""

    def __init__(self) -> None:
        super().__init__()
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if self.mode == "gone":
                self._stop.wait(0.05)
                continue
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                reply = self.feed(data)
                if reply:
                    os.write(self.master, reply)

    def stop(self) -> None:
        if self._stop.is_set():
            return
        super().stop()
        self.thread.join(2)
        os.close(self.master)
        os.close(self._slave)


class TcpPrinter(FakePrinter):
    def __init__(self) -> None:
        super().__init__()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = self.server.getsockname()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.1)
                while not self._stop.is_set():
                    if self.mode == "gone":
                        conn.close()
                        break
                    try:
                        data = conn.recv(4096)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    reply = self.feed(data)
                    if reply:
                        conn.sendall(reply)

    def stop(self) -> None:
        super().stop()
        self.thread.join(2)
        self.server.close()
