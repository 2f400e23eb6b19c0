"""central's kiosk API over HTTPS with requests: every call has a timeout and a typed failure."""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0


class CentralUnavailable(Exception):
    """Central could not be reached or answered with a server error or garbage: retry later."""


class CentralRejected(Exception):
    """Central refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class InsecureCentral(ValueError):
    """Central's address is plain http:// on a network: tokens would travel readable."""


def check_address(central: str, insecure: bool = False) -> str:
    """https:// always; http:// only to this machine (loopback) or when told --insecure."""
    parsed = urlsplit(central.strip())
    if parsed.scheme == "https" and parsed.hostname:
        return central.strip().rstrip("/")
    if parsed.scheme != "http" or not parsed.hostname:
        raise InsecureCentral(f"central's address must start with https://, not {central[:60]!r}")
    host = parsed.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not (loopback or insecure):
        raise InsecureCentral(
            f"{central[:60]} is plain http: device tokens would cross the network readable. "
            "Use https:// (docs/operator.md, TLS), or --insecure for a closed test network."
        )
    return central.strip().rstrip("/")


@dataclass(frozen=True)
class Credentials:
    central: str
    kiosk_id: str
    device_token: str
    site_id: str
    # Given at enrolment with --insecure: plain http to a non-loopback central was accepted.
    insecure: bool = False

    def save(self, path: Path) -> None:
        """Written 0600 before the token goes in: no moment when others can read it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(self), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        return cls(**json.loads(path.read_text()))


class CentralClient:
    def __init__(
        self, central: str, device_token: str | None = None, insecure: bool = False
    ) -> None:
        self.base = check_address(central, insecure) + "/api/v1"
        self.http = requests.Session()
        self.device_token = device_token

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        timeout = kw.pop("timeout", (CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        if self.device_token:
            headers["Authorization"] = f"Bearer {self.device_token}"
        try:
            response = self.http.request(
                method,
                self.base + path,
                headers=headers,
                timeout=timeout,
                **kw,
            )
        except requests.RequestException as exc:
            raise CentralUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise CentralUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                code, message = str(error["code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", response.text[:200]
            raise CentralRejected(response.status_code, code, message)
        return response

    def json(self, method: str, path: str, **kw: Any) -> Any:
        return _body(self.call(method, path, **kw), method, path)

    def poll(self, path: str, tag: str | None, **kw: Any) -> tuple[Any | None, str | None]:
        """A GET that sends the last answer's ETag back: (None, tag) when central says
        nothing changed (304: no body, a fraction of a full answer's cost to central),
        else (the answer, its tag)."""
        headers = {"If-None-Match": tag} if tag else {}
        response = self.call("GET", path, headers=headers, **kw)
        if response.status_code == 304:
            return None, tag
        return _body(response, "GET", path), response.headers.get("ETag")


def _body(response: requests.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise CentralUnavailable(f"{method} {path}: the answer was not JSON") from exc
