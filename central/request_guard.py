"""Refuse requests no endpoint should see: bodies over a size limit (413) and NUL characters (400).

NUL cannot be stored in PostgreSQL text, and no legitimate kiosk, person or
booking system sends one, so it is refused at the door rather than failing
deep inside a query.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.errors import error_body

# A JSON \u0000 escape: preceded by an even number of backslashes (so not "\\u0000").
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(path: str, query: bytes, body: bytes = b"") -> bool:
    if "\x00" in path or b"\x00" in query or b"%00" in query.lower():
        return True
    return b"\x00" in body or _JSON_NUL.search(body) is not None


def _reject_constant(name: str) -> float:
    raise ValueError(name)


def _has_non_finite_number(body: bytes) -> bool:
    """Python's JSON parser accepts NaN/Infinity, which PostgreSQL's json type refuses."""
    if not (b"NaN" in body or b"Infinity" in body):
        return False
    try:
        json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        return str(exc) in ("NaN", "Infinity", "-Infinity")
    return False


class RequestGuard:
    """Pure ASGI middleware; size limits are chosen by path suffix, with a default."""

    def __init__(self, app: ASGIApp, default: int, by_suffix: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.by_suffix = by_suffix

    def limit_for(self, path: str) -> int:
        for suffix, limit in self.by_suffix.items():
            if path.endswith(suffix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_nul(scope["path"], scope.get("query_string", b"")):
            await self._refuse(send, 400, "nul_character", "The request contains a NUL character.")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"")
        if not content_type.startswith(b"image/") and has_nul("", b"", body):
            await self._refuse(send, 400, "nul_character", "Text in the body contains NUL.")
            return
        if b"json" in content_type and _has_non_finite_number(body):
            await self._refuse(
                send,
                400,
                "invalid_json",
                "NaN and Infinity are not JSON numbers; send finite ones.",
            )
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @classmethod
    async def _too_large(cls, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit // 1024} KiB."
        await cls._refuse(send, 413, "too_large", message)

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, message: str) -> None:
        payload = json.dumps(error_body(code, message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
