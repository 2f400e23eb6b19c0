"""The kiosk's side of Janus's client API: a session, VideoRoom handles, events.

Janus speaks JSON over HTTP with long-polled events. The kiosk sends with
requests (already its HTTP library) in a worker thread, so the asyncio loop
that runs aiortc never blocks. Every request has a timeout; the event poll
is Janus's own long poll (30 s) plus a margin.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

# A short connect timeout: after a network outage the next try must not hang on a dead link.
REQUEST_TIMEOUT_S = (3.0, 10.0)
POLL_TIMEOUT_S = 40.0  # Janus answers a long poll after 30 s at the latest


class JanusError(RuntimeError):
    """Janus refused a request or could not be reached; the message says which."""


def _transaction() -> str:
    return secrets.token_hex(8)


class JanusSession:
    """One Janus session with a token central gave for one call.

    Plugin events arrive through `poll_events`, which hands each to the handle
    it belongs to. Replies to plugin requests that Janus answers asynchronously
    ("ack" first, then an event with the same transaction) are awaited here.
    """

    def __init__(self, url: str, token: str, http: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.http = http or requests.Session()
        self.session_id: int | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._handles: dict[int, Callable[[dict[str, Any]], None]] = {}
        self._poller: asyncio.Task[None] | None = None
        # The long poll (up to POLL_TIMEOUT_S a time) has a thread of its own: in asyncio's
        # shared pool (6 threads on 2 cores) a few sessions' polls left none for the
        # requests that join a room, which then timed out (bench/media_host.py, 8 calls).
        self._poll_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="janus-events")
        self.when_gone: Callable[[str], None] | None = None

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "token": self.token}
        body.setdefault("transaction", _transaction())
        try:
            response = await asyncio.to_thread(
                self.http.post, self.url + path, json=body, timeout=REQUEST_TIMEOUT_S
            )
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise JanusError(f"the media server cannot be reached: {exc}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise JanusError(f"the media server refused: {error.get('reason', answer)}")
        return answer

    async def create(self) -> None:
        answer = await self._post("", {"janus": "create"})
        self.session_id = answer["data"]["id"]
        self._poller = asyncio.create_task(self._poll_events())

    async def attach(self, on_event: Callable[[dict[str, Any]], None]) -> int:
        answer = await self._post(
            f"/{self.session_id}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        handle_id = int(answer["data"]["id"])
        self._handles[handle_id] = on_event
        return handle_id

    async def message(
        self,
        handle_id: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
        timeout_s: float = 15.0,
    ) -> dict[str, Any]:
        """Sends a plugin request and returns the plugin's answer (with any jsep)."""
        transaction = _transaction()
        request: dict[str, Any] = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            request["jsep"] = jsep
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = waiter
        try:
            answer = await self._post(f"/{self.session_id}/{handle_id}", request)
            if answer.get("janus") == "success":
                return answer
            return await asyncio.wait_for(waiter, timeout_s)
        except TimeoutError as exc:
            raise JanusError(f"the media server did not answer {body.get('request')}") from exc
        finally:
            self._waiting.pop(transaction, None)

    async def trickle_done(self, handle_id: int) -> None:
        await self._post(
            f"/{self.session_id}/{handle_id}",
            {"janus": "trickle", "candidate": {"completed": True}},
        )

    async def _poll_events(self) -> None:
        failures = 0
        while True:
            try:
                response = await asyncio.get_running_loop().run_in_executor(
                    self._poll_thread,
                    functools.partial(
                        self.http.get,
                        f"{self.url}/{self.session_id}",
                        params={"maxev": "10", "rid": _transaction(), "token": self.token},
                        timeout=POLL_TIMEOUT_S,
                    ),
                )
                events = response.json()
                failures = 0
            except (requests.RequestException, ValueError):
                failures += 1
                # Back off while the link is down; the session lives 60 s on Janus.
                await asyncio.sleep(min(0.25 * 2**failures, 4.0))
                continue
            if isinstance(events, dict):
                events = [events]
            for event in events:
                self._dispatch(event)

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("janus")
        if kind == "error" and "session" in str(event.get("error", {}).get("reason", "")).lower():
            if self.when_gone:
                self.when_gone("session")
            return
        waiter = self._waiting.get(event.get("transaction", ""))
        if kind == "event" and waiter is not None and not waiter.done():
            data = event.get("plugindata", {}).get("data", {})
            if "error" in data:
                waiter.set_exception(JanusError(f"the media server refused: {data['error']}"))
            else:
                waiter.set_result({**data, "jsep": event.get("jsep")})
            return
        handler = self._handles.get(int(event.get("sender", 0) or 0))
        if handler is not None:
            handler(event)

    async def keepalive(self) -> None:
        await self._post(f"/{self.session_id}", {"janus": "keepalive"})

    async def destroy(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        # Its thread ends when the poll under way returns (POLL_TIMEOUT_S at most).
        self._poll_thread.shutdown(wait=False, cancel_futures=True)
        if self.session_id is not None:
            try:
                await self._post(f"/{self.session_id}", {"janus": "destroy"})
            except JanusError:
                pass  # the session times out on Janus by itself
            self.session_id = None
        self.http.close()
