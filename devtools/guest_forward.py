"""One guest connection forwarded to a port on the host's loopback: what QEMU runs for
each connection the guest opens to a guestfwd address (`guestfwd=…-cmd:`), talking to
QEMU on stdin/stdout. A guestfwd to a plain `tcp:` chardev carries one connection for
the VM's life (the kiosk's first request got through, every later one timed out).

    python devtools/guest_forward.py HOST PORT
"""

from __future__ import annotations

import os
import socket
import sys
import threading


def pump(read: int, write: socket.socket) -> None:
    while chunk := os.read(read, 65536):
        write.sendall(chunk)
    write.shutdown(socket.SHUT_WR)


def main(host: str, port: int) -> int:
    with socket.create_connection((host, port), timeout=30) as upstream:
        upstream.settimeout(None)
        threading.Thread(target=pump, args=(0, upstream), daemon=True).start()
        while chunk := upstream.recv(65536):
            os.write(1, chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
