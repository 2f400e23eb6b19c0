"""sd_notify for systemd's watchdog, sent from the UI's main loop and the updater's steps:
a frozen loop or a hung download stops sending and systemd restarts (or stops) the
unit. No systemd, no NOTIFY_SOCKET: nothing is sent."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        sock.connect(address)
        sock.sendall(message.encode())
    return True
