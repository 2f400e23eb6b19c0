"""A PTV Open API v11 stand-in on loopback, serving documents shaped as PTV's own
(data/ptv/ by default): an organisation's services in pages, channels and organisations
by `guids=` (refusing more than 100, as PTV does), and the archived list.

Tests script its misbehaviour: `fail(path_part, *actions)` queues answers for the next
requests whose path contains `path_part`: an HTTP status ("500"), "429:<seconds>" (rate
limited with Retry-After), "slow:<seconds>" (answers late), "garbage" (not JSON), "cut"
(the connection drops half way through the answer), "empty" (a page whose `itemList` is
null, as PTV writes an empty page). Every
request is recorded (`requests`), with how many ids it asked for.

Never the live service: the tests must not depend on it, and must not load it.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from central.ptv.documents import directory_body

SAMPLE = Path(__file__).parents[1] / "data" / "ptv"


@dataclass
class PtvWorld:
    """What the stand-in serves; tests change it between syncs."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    archived: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 10

    @classmethod
    def sample(cls, page_size: int = 10) -> PtvWorld:
        body = directory_body(SAMPLE)
        world = cls(page_size=page_size)
        for page in body["services"]:
            for service in page["itemList"]:
                world.services[service["id"]] = service
        for listing in body["channels"]:
            world.channels.update({c["id"]: c for c in listing})
        for listing in body["organizations"]:
            world.organisations.update({o["id"]: o for o in listing})
        for page in body["archived"]:
            world.archived.extend(page["itemList"])
        return world

    def add_copies(self, template: dict[str, Any], count: int, first_channel: int) -> None:
        """`count` copies of a service ("Palvelu 0", …; ids 1, 2, … as UUIDs), each with
        copies of its channels of its own (ids from `first_channel` on), for a large
        organisation in tests and benchmarks."""
        connections = len(template["serviceChannels"])
        for n in range(count):
            service = copy.deepcopy(template)
            service["id"] = str(uuid.UUID(int=n + 1))
            service["serviceNames"][0]["value"] = f"Palvelu {n}"
            for k, connection in enumerate(service["serviceChannels"]):
                channel = copy.deepcopy(self.channels[connection["serviceChannel"]["id"]])
                channel["id"] = str(uuid.UUID(int=first_channel + n * connections + k))
                connection["serviceChannel"]["id"] = channel["id"]
                self.channels[channel["id"]] = channel
            self.services[service["id"]] = service

    def of_organisation(self, organisation_id: str) -> list[dict[str, Any]]:
        return [
            s
            for s in self.services.values()
            if any(
                o.get("organization", {}).get("id") == organisation_id
                for o in s.get("organizations") or []
            )
        ]


def _page(items: list[Any], page: int, size: int) -> dict[str, Any]:
    count = max(1, -(-len(items) // size))
    return {
        "pageNumber": page,
        "pageSize": size,
        "pageCount": count,
        "itemList": items[(page - 1) * size : page * size] or None,
    }


class PtvServer:
    def __init__(self, world: PtvWorld | None = None) -> None:
        self.world = world or PtvWorld.sample()
        self.requests: list[dict[str, Any]] = []
        self.script: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.answer(self)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> PtvServer:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, path_part: str, *actions: str) -> None:
        with self.lock:
            self.script[path_part].extend(actions)

    def _scripted(self, path: str) -> str | None:
        with self.lock:
            for part, actions in self.script.items():
                if part in path and actions:
                    return actions.pop(0)
        return None

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        guids = [g for g in query.get("guids", "").split(",") if g]
        with self.lock:
            self.requests.append({"path": url.path, "query": query, "ids": len(guids)})
        action = self._scripted(url.path)
        if action is not None:
            kind, _, value = action.partition(":")
            if kind == "slow":
                time.sleep(float(value))
            elif kind == "429":
                self._send(handler, 429, {"message": "Too many requests"}, {"Retry-After": value})
                return
            elif kind == "garbage":
                self._send(handler, 200, None, raw=b"<html>maintenance</html>")
                return
            elif kind == "cut":
                self._cut(handler)
                return
            elif kind == "empty":
                body = {"pageNumber": 1, "pageCount": 0, "itemList": None}
                self._send(handler, 200, body)
                return
            else:
                self._send(handler, int(kind), {"message": "scripted failure"})
                return
        status, body = self.route(url.path, query, guids)
        self._send(handler, status, body)

    def route(self, path: str, query: dict[str, str], guids: list[str]) -> tuple[int, Any]:
        world = self.world
        page = int(query.get("page", "1") or 1)
        if path == "/api/v11/Service/list/organization":
            services = world.of_organisation(query.get("organizationId", ""))
            return 200, _page(services, page, world.page_size)
        if path in ("/api/v11/ServiceChannel/list", "/api/v11/Organization/list"):
            if len(guids) > 100:
                return 400, {"guids": ["Max 100 guids can be added into list."]}
            source = world.channels if "Channel" in path else world.organisations
            return 200, [source[g] for g in guids if g in source]
        if path == "/api/v11/Service" and query.get("status") == "Archived":
            return 200, _page(world.archived, page, 1000)
        return 404, {"message": f"no such endpoint {path}"}

    @staticmethod
    def _cut(handler: BaseHTTPRequestHandler) -> None:
        """Headers promising 4 KiB, half of it sent, then the connection closed."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", "4096")
        handler.end_headers()
        handler.wfile.write(b'{"pageNumber": 1, "itemList": [' + b" " * 2000)
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
