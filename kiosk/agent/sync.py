"""Central → state.db: catalogue, bookings and configuration.

Central is authoritative for these. Nothing it sends is written before its
shape is checked, and every page is applied in one transaction, so a bad
answer or a crash leaves the last good copy in place.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from contract import kiosk_api
from kiosk import bookings, box_timezone, catalogue, config
from kiosk.agent.client import CentralClient, CentralUnavailable
from kiosk.store import StateStore


def _check_delta(page: Any) -> dict[str, Any]:
    """The page if it has the contract's shape (contract/kiosk_api.py), else "try later"."""
    try:
        kiosk_api.parse(kiosk_api.Delta, page)
        checked: dict[str, Any] = page
    except kiosk_api.BadAnswer as exc:
        raise CentralUnavailable(f"central's delta answer had an unexpected shape: {exc}") from exc
    return checked


class Sync:
    def __init__(
        self,
        store: StateStore,
        client: CentralClient,
        page_limit: int = 200,
        zone_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.page_limit = page_limit
        self.zone_dir = zone_dir
        self.follow_site_zone()  # at start too: /run is empty after a boot

    def _delta(self, path: str, kind: str, apply: Callable[..., None]) -> int:
        key = f"cursor.{kind}"
        since = self.store.get_state(key)
        applied = 0
        while True:
            params: dict[str, Any] = {"limit": self.page_limit}
            if since:
                params["since"] = since
            page = _check_delta(self.client.json("GET", path, params=params))
            reset = bool(page.get("reset")) and applied == 0
            apply(self.store, page["items"], page["deleted"], reset)
            applied += len(page["items"])
            since = page["cursor"]
            self.store.set_state(key, since)
            if not page["has_more"]:
                return applied

    def catalogue(self) -> int:
        return self._delta("/kiosk/catalogue", "catalogue", catalogue.apply_delta)

    def bookings(self) -> int:
        changed = self._delta("/kiosk/bookings", "bookings", bookings.apply_delta)
        bookings.purge_past(self.store, datetime.now().astimezone())
        return changed

    def config(self) -> bool:
        """Fetch the config document if it changed (ETag); True when a new one was stored."""
        etag = self.store.get_state("config.etag")
        headers = {"If-None-Match": etag} if etag else {}
        response = self.client.call("GET", "/kiosk/config", headers=headers)
        if response.status_code == 304:
            return False
        try:
            document = response.json()
        except ValueError as exc:
            raise CentralUnavailable("config answer was not JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("version"), int):
            raise CentralUnavailable("config answer had no version")
        config.save(self.store, document, response.headers.get("ETag"))
        self.store.set_state("config.etag", response.headers.get("ETag"))
        self.follow_site_zone()
        return True

    def follow_site_zone(self) -> None:
        """The box's zone set to the site's, as the stored configuration says."""
        zone = config.load(self.store).get("site_timezone")
        if self.zone_dir is not None and isinstance(zone, str):
            box_timezone.apply(self.zone_dir, zone)

    def everything(self) -> None:
        self.config()
        self.catalogue()
        self.bookings()
        self.store.set_state("sync.last_success", datetime.now().astimezone().isoformat())
