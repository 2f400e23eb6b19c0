"""The UI's start before Kivy: it knocks on the X server first (kiosk/ui/cli.py), so that
cage's lazily started Xwayland starts while Python imports Kivy. A listening socket made
here stands for Xwayland's: the knock arrives on it, and nothing is sent."""

from __future__ import annotations

import socket

from kiosk.ui.cli import wake_x_server


def test_the_ui_knocks_on_the_x_servers_socket_before_importing_kivy(tmp_path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + str(tmp_path / "X7"))  # abstract, as cage's Xwayland listens
    server.listen(1)
    server.settimeout(5)
    try:
        assert wake_x_server(":7", sockets=tmp_path)
        knock, _ = server.accept()
        knock.settimeout(5)
        assert knock.recv(16) == b""  # connected, nothing said, closed
        knock.close()
    finally:
        server.close()
    # The file socket, where there is no abstract one (another Unix).
    filed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    filed.bind(str(tmp_path / "X8"))
    filed.listen(1)
    try:
        assert wake_x_server(":8.0", sockets=tmp_path)
    finally:
        filed.close()
    # Nothing listening, no X display, or a remote one: nothing done, no error.
    assert not wake_x_server(":9", sockets=tmp_path)
    assert not wake_x_server(None)
    assert not wake_x_server("otherhost:0")
