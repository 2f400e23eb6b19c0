"""What the local identity providers share: a quiet HTTP handler that answers pages and
JSON, and a server on an already bound loopback socket for as long as a test needs it."""

from __future__ import annotations

import html
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"""


def choose_a_person(action: str, key: str, prompt: str, names: list[str]) -> str:
    """The identity providers' login page: a button per test person, and Cancel."""
    buttons = "".join(
        f'<button name="person" value="{i}">{html.escape(name)}</button>'
        for i, name in enumerate(names)
    )
    return (
        f'<form method="post" action="{action}"><input type="hidden" name="key" '
        f'value="{key}"><p>{html.escape(prompt)}</p>{buttons}'
        '<button name="cancel" value="1">Cancel</button></form>'
    )


class StandinHandler(BaseHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass

    def send_text(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_page(self, status: int, title: str, body: str = "") -> None:
        self.send_text(status, PAGE.format(title=html.escape(title), body=body))

    def send_json(self, status: int, body: Any) -> None:
        self.send_text(status, json.dumps(body), "application/json")

    def form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}


@contextmanager
def serving_on(sock: socket.socket, handler: type[BaseHTTPRequestHandler]) -> Iterator[None]:
    server = ThreadingHTTPServer(sock.getsockname(), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_activate()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
