"""The console's browser session: a person token in a cookie, and the CSRF token bound to it.

The cookie carries an ordinary person token (the same `access_tokens` row a
login through the API makes), so the console and the API share one
authentication and one policy. Because a browser sends a cookie by itself,
every state-changing console request must also carry the CSRF token: an HMAC
of the session token under central's secret, which a page of another site
cannot read. The request guard checks it (central/web/request_guard.py), so no
console form can forget to.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

CONSOLE_PREFIX = "/console/"
SESSION_COOKIE = "pp_console"
# The login form's double-submit token (there is no session to bind one to yet).
LOGIN_COOKIE = "pp_console_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = b"x-csrf-token"


def is_console(path: str) -> bool:
    return path.startswith(CONSOLE_PREFIX)


def cookie_value(headers: dict[bytes, bytes], name: str) -> str | None:
    raw = headers.get(b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def bearer(headers: dict[bytes, bytes]) -> str | None:
    """The token of an `Authorization: Bearer` header, if there is one."""
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def request_token(path: str, headers: dict[bytes, bytes]) -> str | None:
    """The bearer token; on console pages without one, the console's session cookie."""
    found = bearer(headers)
    if found:
        return found
    return cookie_value(headers, SESSION_COOKIE) if is_console(path) else None


def from_cookie(path: str, headers: dict[bytes, bytes]) -> bool:
    """Whether the request is authenticated by the console's cookie, which a browser
    sends by itself (and so needs the CSRF token): any request without a Bearer token,
    whatever other `Authorization` header it carries."""
    return is_console(path) and bearer(headers) is None


def csrf_token(secret: bytes, session_token: str) -> str:
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def submitted_csrf(headers: dict[bytes, bytes], body: bytes, query: bytes = b"") -> str | None:
    """The CSRF token a request carries: its header (htmx), else its urlencoded form field;
    a file upload (multipart) carries it in the form's action address."""
    header = headers.get(CSRF_HEADER)
    if header:
        return header.decode("latin-1")
    content_type = headers.get(b"content-type", b"")
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type.startswith(b"multipart/form-data"):
        values = parse_qs(query.decode("latin-1")).get(CSRF_FIELD)
        return values[0] if values else None
    return None


def csrf_matches(secret: bytes, session_token: str, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(
        csrf_token(secret, session_token), submitted
    )
