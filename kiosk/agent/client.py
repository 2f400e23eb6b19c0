"""central's kiosk API over HTTPS with requests: every call has a timeout and a typed failure."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Credentials:
    central: str
    kiosk_id: str
    device_token: str
    site_id: str

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
    def __init__(self, central: str, device_token: str | None = None) -> None:
        self.base = central.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.device_token = device_token

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if self.device_token:
            headers["Authorization"] = f"Bearer {self.device_token}"
        try:
            response = self.http.request(
                method,
                self.base + path,
                headers=headers,
                timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
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
        response = self.call(method, path, **kw)
        try:
            return response.json()
        except ValueError as exc:
            raise CentralUnavailable(f"{method} {path}: the answer was not JSON") from exc
