"""The PTV Open API over HTTP: an organisation's services (paged), their channels and
organisations (by id, at most 100 a call), and the ids of archived services.

Every request has a timeout; a timeout, a dropped connection, a 5xx or a 429 is tried
again with exponential backoff (a 429's Retry-After is honoured, up to a limit), and a
steady pace between requests keeps us under PTV's rate limit. Anything else (a 4xx, a
body that is not JSON) is a PtvError saying which request failed and why: a sync never
half-believes an answer.

Version 11 is what this reads. Version 12 needs an API key (`api_key`, sent in the
header named by `api_key_header`) and changes shapes: the version is one setting here,
and the documents are read in central/ptv/services.py and channels.py, so v12 is one new
reader there, not a new client.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from central import outbound

log = logging.getLogger("central.ptv")

GUIDS_PER_CALL = 100  # PTV refuses more ids in one `guids=` list
MAX_PAGES = 1000  # an answer claiming more pages than this is not believed
SUPPORTED_VERSIONS = ("v11",)


class PtvError(Exception):
    """PTV could not be read; the message names the request and the reason."""


@dataclass
class PtvClient:
    base_url: str
    version: str = "v11"
    timeout_s: float = 20.0
    attempts: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 60.0
    pace_s: float = 0.2  # at most five requests a second
    api_key: str | None = None
    api_key_header: str = "x-api-key"
    sleep: Callable[[float], None] = time.sleep
    # Private hosts this client may reach (central/outbound.py); None: no address check
    # (an operator's own `central ptv` command, tests that build a client directly).
    allowed_hosts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.version not in SUPPORTED_VERSIONS:
            raise PtvError(
                f"PTV Open API {self.version} is not supported yet; use "
                f"{', '.join(SUPPORTED_VERSIONS)}"
            )
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if self.api_key:
            self.session.headers[self.api_key_header] = self.api_key
        self._last = 0.0
        self.requests_made = 0

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/api/{self.version}/{path}"
        delay = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            wait = self.pace_s - (time.monotonic() - self._last)
            if wait > 0:
                self.sleep(wait)
            self._last = time.monotonic()
            self.requests_made += 1
            reason, retry_after = self._once(url, params)
            if not isinstance(reason, str):
                return reason.value
            if retry_after is None:
                raise PtvError(f"GET {url}: {reason}")
            if attempt == self.attempts:
                raise PtvError(f"GET {url}: {reason}, {self.attempts} tries")
            pause = min(self.max_wait_s, retry_after or delay * (1 + random.random() / 2))
            log.warning("PTV %s: %s; trying again in %.1f s", url, reason, pause)
            self.sleep(pause)
            delay *= 2
        raise AssertionError("unreachable")

    def _once(self, url: str, params: dict[str, Any] | None) -> tuple[Any, float | None]:
        """(_Answer, None) when done; (reason, None) when trying again cannot help;
        (reason, seconds or 0) when it can."""
        if self.allowed_hosts is not None:
            try:
                outbound.check_url(url, self.allowed_hosts)
            except outbound.OutboundRefused as exc:
                return str(exc), None
        try:
            # No redirects: one could lead from PTV's address to a host inside.
            response = self.session.get(
                url, params=params, timeout=self.timeout_s, allow_redirects=False
            )
        except requests.Timeout:
            return f"no answer in {self.timeout_s:g} s", 0
        except requests.ConnectionError as exc:
            return f"cannot connect ({type(exc).__name__})", 0
        except requests.RequestException as exc:
            # The connection dropped half way through the answer (ChunkedEncodingError,
            # a short body): worth another try, like any broken connection.
            return f"the answer was cut off ({type(exc).__name__})", 0
        if response.status_code == 429:
            return "rate limited (429)", _retry_after(response.headers.get("Retry-After"))
        if response.status_code >= 500:
            return f"PTV answered {response.status_code}", 0
        if 300 <= response.status_code < 400:
            return f"PTV answered {response.status_code} (redirects are not followed)", None
        if response.status_code != 200:
            return f"PTV answered {response.status_code}: {response.text[:200]}", None
        try:
            return _Answer(response.json()), None
        except ValueError:
            return "the answer is not JSON", 0

    # What a sync reads ------------------------------------------------------------------

    def organisation_services(self, organisation_id: str) -> Iterator[list[dict[str, Any]]]:
        """Each page of an organisation's published services, with general-description
        texts (GD_ types) included."""
        yield from self._pages(
            "Service/list/organization",
            {"organizationId": organisation_id, "serviceWithGD": "true"},
        )

    def archived_services(self, since: str | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of {id, name} of services archived (after `since`, PTV's UTC date)."""
        params = {"status": "Archived"}
        if since:
            params["date"] = since
        yield from self._pages("Service", params)

    def channels(self, ids: list[str]) -> list[dict[str, Any]]:
        return self._by_ids("ServiceChannel/list", ids)

    def organisations(self, ids: list[str]) -> list[dict[str, Any]]:
        return self._by_ids("Organization/list", ids)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while True:
            body = self.get(path, {**params, "page": page})
            # PTV writes an empty page's list as null.
            items = body.get("itemList") if isinstance(body, dict) else None
            if not isinstance(body, dict) or not isinstance(items or [], list):
                raise PtvError(f"{path} page {page}: not a page of items")
            yield [x for x in items or [] if isinstance(x, dict)]
            count = body.get("pageCount") or 0
            if not isinstance(count, int) or count > MAX_PAGES:
                raise PtvError(f"{path}: a page count of {count!r} is not believable")
            if page >= count:
                return
            page += 1

    def _by_ids(self, path: str, ids: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), GUIDS_PER_CALL):
            chunk = unique[start : start + GUIDS_PER_CALL]
            body = self.get(path, {"guids": ",".join(chunk)})
            if not isinstance(body, list):
                raise PtvError(f"{path}: expected a list of documents")
            out.extend(x for x in body if isinstance(x, dict))
        return out


@dataclass
class _Answer:
    value: Any


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0
