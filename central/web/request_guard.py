"""The door of central: who is calling, how much they may send, and whether it can be stored.

Before any body is read, the caller's bearer token is checked (a cheap,
cached lookup), so an anonymous client can make central read at most a
small login or enrolment body, never a 50 MiB import. Size limits then
depend on who calls: only a national admin may send a catalogue import,
only a kiosk a screenshot. Bodies are read in chunks and refused the moment
they pass their limit. A JSON body must parse, and its values must be
storable (contract.json_values): refused here, not failing deep inside a
query or on every later read.

The endpoints still authenticate and authorise for real (central/access/policy.py):
this check only decides whether the body is worth reading.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.access.browser_session import (
    csrf_matches,
    from_cookie,
    request_token,
    submitted_csrf,
)
from central.access.policy import (
    DEVICE_TOKEN_PREFIX,
    authenticate_token,
    device_for_token,
    missing_token,
)
from central.errors import ApiError, database_away, database_unavailable, error_body
from contract.json_values import InvalidValue, check_value

# A JSON \u0000 escape: preceded by an even number of backslashes (so not "\\u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
ANONYMOUS_LIMIT = 16 * 1024
# Bodies larger than this are parsed off the event loop, and only a few at once.
LARGE_BODY = 256 * 1024
LARGE_BODIES_AT_ONCE = 2
CALLER = "palvelupiste.caller"


@dataclass(frozen=True)
class Caller:
    kind: str  # "device" or "person"
    role: str | None = None
    user_id: str | None = None
    org_id: str | None = None


@dataclass(frozen=True)
class BodyLimits:
    default: int
    # path suffix -> (limit, who may send that much: a role, or "device")
    large: dict[str, tuple[int, str]]
    public: tuple[str, ...]
    # paths whose JSON items are checked one by one by the endpoint (a batch of events)
    item_checked: tuple[str, ...] = ()
    # path prefixes that need no token (a secret in the path is the credential)
    public_prefixes: tuple[str, ...] = ()
    # of those, prefixes whose bodies may be larger than an anonymous one (the Janus
    # relay's SDP offers, whose token it checks itself): prefix -> bytes
    public_large: dict[str, int] = field(default_factory=dict)

    def is_public(self, path: str) -> bool:
        return path.endswith(self.public) or (
            bool(self.public_prefixes) and path.startswith(self.public_prefixes)
        )

    def limit_for(self, path: str, caller: Caller | None) -> int:
        if caller is None:
            for prefix, limit in self.public_large.items():
                if path.startswith(prefix):
                    return limit
            return ANONYMOUS_LIMIT
        for suffix, (limit, who) in self.large.items():
            if path.endswith(suffix) and who in (caller.kind, caller.role):
                return limit
        return self.default


class CallerCache:
    """Token -> caller, for a short while; bounded, so random tokens cannot grow it.

    Only known callers are kept: a refusal is looked up again next time.
    """

    def __init__(self, lookup: Callable[[str], Caller | ApiError], ttl_s: float = 30.0) -> None:
        self.lookup = lookup
        self.ttl_s = ttl_s
        self.max_entries = 50_000
        self._known: OrderedDict[str, tuple[float, Caller]] = OrderedDict()

    async def caller(self, token: str) -> Caller | ApiError:
        now = time.monotonic()
        hit = self._known.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        caller = await run_in_threadpool(self.lookup, token)
        if isinstance(caller, Caller):
            self._known[token] = (now + self.ttl_s, caller)
            self._known.move_to_end(token)
            while len(self._known) > self.max_entries:
                self._known.popitem(last=False)
        return caller


def has_nul(path: str, query: bytes, body: bytes = b"") -> bool:
    if "\x00" in path or b"\x00" in query or b"%00" in query.lower():
        return True
    return b"\x00" in body or _JSON_NUL.search(body) is not None


def _reject_constant(name: str) -> float:
    raise ValueError(name)


# Where the guard leaves a body's parsed JSON (scope["state"]), so an endpoint that reads
# its own body (the catalogue import, up to 50 MiB) need not parse it a second time.
PARSED_JSON = "guard.parsed_json"
NOT_JSON = object()


def parse_json(body: bytes, check_values: bool) -> tuple[Any, str | None]:
    """(value, None), or (None, why this JSON body cannot be taken).

    NaN/Infinity are never JSON numbers. A body that is not JSON at all gives
    (NOT_JSON, None): the endpoint says so in its own words.
    """
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        return None, "The JSON is nested too deeply."
    except ValueError as exc:
        if str(exc) in ("NaN", "Infinity", "-Infinity"):
            return None, "NaN and Infinity are not JSON numbers; send finite ones."
        return NOT_JSON, None
    if check_values:
        try:
            check_value(value)
        except InvalidValue as exc:
            return None, f"The JSON cannot be stored: {exc}."
    return value, None


def parsed_json(scope: Scope) -> Any:
    """The JSON the guard parsed for this request; KeyError when it parsed none."""
    return scope["state"][PARSED_JSON]


def caller_of(scope: Scope) -> Caller | None:
    """Who the guard found calling, for the middleware inside it (None: nobody checked)."""
    return scope.get("state", {}).get(CALLER)


class RequestGuard:
    """Pure ASGI middleware in front of every endpoint."""

    def __init__(
        self, app: ASGIApp, limits: BodyLimits, callers: CallerCache, csrf_secret: bytes
    ) -> None:
        self.app = app
        self.limits = limits
        self.callers = callers
        self.csrf_secret = csrf_secret
        self.large_bodies = asyncio.Semaphore(LARGE_BODIES_AT_ONCE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if has_nul(path, scope.get("query_string", b"")):
            await _refuse(send, 400, "nul_character", "The request contains a NUL character.")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        caller = None
        session_token = None
        if not self.limits.is_public(path):
            token = request_token(path, headers)
            found = await self.callers.caller(token) if token else missing_token()
            if isinstance(found, ApiError):
                await _refuse(send, found.status, found.code, found.message, found.headers)
                return
            caller = found
            scope.setdefault("state", {})[CALLER] = caller
            if from_cookie(path, headers):
                session_token = token
        limit = self.limits.limit_for(path, caller)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        if declared is not None and declared.isdigit() and int(declared) > LARGE_BODY:
            if self.large_bodies.locked():
                await _refuse(send, 429, "busy", "Central is taking other large uploads; retry.")
                return
            async with self.large_bodies:
                await self._read_and_pass(scope, receive, send, headers, limit, session_token)
            return
        await self._read_and_pass(scope, receive, send, headers, limit, session_token)

    async def _read_and_pass(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        limit: int,
        session_token: str | None = None,
    ) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if session_token is not None and not csrf_matches(
            self.csrf_secret,
            session_token,
            submitted_csrf(headers, body, scope.get("query_string", b"")),
        ):
            await _refuse(
                send, 403, "csrf_failed", "The form has expired; reload the page and try again."
            )
            return
        content_type = headers.get(b"content-type", b"")
        binary = content_type.startswith((b"image/", b"application/pdf"))
        if not binary and has_nul("", b"", body):
            await _refuse(send, 400, "nul_character", "Text in the body contains NUL.")
            return
        if b"json" in content_type and body:
            check_values = not scope["path"].endswith(self.limits.item_checked)
            if len(body) > LARGE_BODY:
                value, problem = await run_in_threadpool(parse_json, body, check_values)
            else:
                value, problem = parse_json(body, check_values)
            if problem:
                await _refuse(send, 400, "invalid_json", problem)
                return
            if value is not NOT_JSON:
                scope.setdefault("state", {})[PARSED_JSON] = value
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    message = f"The request body is larger than {limit // 1024} KiB."
    await _refuse(send, 413, "too_large", message)


async def _refuse(
    send: Send, status: int, code: str, message: str, extra: dict[str, str] | None = None
) -> None:
    payload = json.dumps(error_body(code, message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    if status == 429:
        headers.append((b"retry-after", b"5"))
    headers.extend((k.lower().encode(), v.encode()) for k, v in (extra or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def caller_lookup(sessions: Callable[[], Session]) -> Callable[[str], Caller | ApiError]:
    """Who a token belongs to, through the same checks and refusals as the endpoints."""

    def lookup(token: str) -> Caller | ApiError:
        with sessions() as db:
            try:
                if token.startswith(DEVICE_TOKEN_PREFIX + "_"):
                    device_for_token(db, token)
                    return Caller("device")
                person = authenticate_token(db, token)
                return Caller("person", person.role, person.user_id, person.org_id)
            except ApiError as refusal:
                return refusal
            except (DBAPIError, DisconnectionError) as exc:
                # Outside the app's error handlers here: the 503 they would give.
                if not database_away(exc):
                    raise
                return database_unavailable()

    return lookup
