"""Central running for real: uvicorn in a thread, spoken to over HTTP on loopback."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
import uvicorn

from central.app import create_app
from central.settings import Settings
from devtools.launcher import bound_socket


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process owns signals
        pass


@dataclass
class RunningCentral:
    base: str
    app: Any
    server: _Server
    thread: threading.Thread
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1{path}"

    def request(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 30)
        return self.http.request(method, self.url(path), headers=headers, **kw)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=45)  # the lifespan waits up to 30 s for passes under way
        self.app.state.engine.dispose()


def start_central(
    database_url: str, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> RunningCentral:
    if not database_url.startswith("sqlite"):
        # An SQLite database keeps its key beside it; give a server database its own,
        # so no key file lands in the working directory.
        settings.setdefault("secret_key", secrets.token_hex(32))
    # Cheap password hashes: a test world logs in dozens of people (0.1 s each at the default).
    settings.setdefault("password_hash_memory_kib", 8192)
    settings.setdefault("password_hash_time_cost", 1)
    app = create_app(Settings(database_url=database_url, **settings))
    sock = bound_socket(port, host=host)  # bound before its port is known to anyone: no race for it
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning")
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("central did not start")
        time.sleep(0.02)
    return RunningCentral(base=f"http://{host}:{port}", app=app, server=server, thread=thread)
