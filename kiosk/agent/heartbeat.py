"""The heartbeat: the kiosk's health to central, central's commands back.

It also carries the agent's error counts, and rotates the device token when
central says half its life is gone.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from contract import kiosk_api, release
from kiosk import command_queue, config, device_status
from kiosk.agent import box_security
from kiosk.agent.client import CentralClient, CentralUnavailable
from kiosk.outbox import Outbox
from kiosk.store import StateStore
from kiosk.update import handover

log = logging.getLogger("kiosk.agent")
SOFTWARE_VERSION = release.VERSION
UI_STALE_AFTER_S = 60


class Heartbeat:
    def __init__(
        self,
        store: StateStore,
        client: CentralClient,
        errors: dict[str, int] | None = None,
        on_new_token: Callable[[str], None] | None = None,
        on_new_config: Callable[[], None] | None = None,
        on_new_release: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.outbox = Outbox(store)
        self.started = time.monotonic()
        # The scheduler's error counts per duty, shared by reference.
        self.errors = errors if errors is not None else {}
        # Keeps a rotated device token (kiosk-agent saves it to credentials.json).
        self.on_new_token = on_new_token
        self.on_new_config = on_new_config
        # Central names a release for this kiosk: nudge the updater now, not at its timer.
        self.on_new_release = on_new_release

    def health(self) -> dict[str, Any]:
        ui = self.store.get_state("ui.alive") or {}
        ui_state = ui.get("state", "down")
        seen = ui.get("at")
        if not seen or time.time() - float(seen) > UI_STALE_AFTER_S:
            ui_state = "down"
        return {
            "software_version": SOFTWARE_VERSION,
            "config_version": config.version(self.store),
            "uptime_s": round(time.monotonic() - self.started, 1),
            "outbox_depth": self.outbox.depth(),
            "dropped_events": self.outbox.dropped(),
            "ui": {"state": ui_state, "since": ui.get("since")},
            "devices": device_status.all_devices(self.store),
            "disk_free_mb": shutil.disk_usage(self.store.path.parent).free // (1024 * 1024),
            "errors": dict(self.errors),
            "update": self.store.get_state(handover.REPORT),
            "system": box_security.report(self.store.path.parent),
        }

    def beat(self) -> dict[str, Any]:
        health = self.health()
        answer: dict[str, Any] = self.client.json("POST", "/kiosk/heartbeat", json=health)
        try:
            kiosk_api.parse(kiosk_api.HeartbeatAnswer, answer)
        except kiosk_api.BadAnswer as exc:
            raise CentralUnavailable(f"heartbeat answer had an unexpected shape: {exc}") from exc
        # The updater's health gate: central accepted a heartbeat from this release.
        self.store.set_state(handover.ACCEPTED, {"version": SOFTWARE_VERSION, "at": time.time()})
        if handover.wish(self.store, answer.get("release")) and self.on_new_release:
            self.on_new_release()
        command_queue.store_received(self.store, answer["commands"])
        self.rotate_token_if_due(answer)
        remote_version = answer.get("config_version")
        local = health["config_version"]
        if isinstance(remote_version, int) and local != remote_version and self.on_new_config:
            self.on_new_config()  # config changed: sync soon
        return answer

    def rotate_token_if_due(self, answer: dict[str, Any]) -> bool:
        """Swap the device token for a new one once central says half its life is gone.

        The new token is saved before it is used: a crash between the two leaves
        the saved one, which is the one central now knows.
        """
        after, now = answer.get("token_rotate_after"), answer.get("server_time")
        if self.on_new_token is None or not isinstance(after, str) or not isinstance(now, str):
            return False
        try:
            if datetime.fromisoformat(after) > datetime.fromisoformat(now):
                return False
        except ValueError:
            return False
        try:
            fresh = kiosk_api.parse(kiosk_api.DeviceToken, self.client.json("POST", "/kiosk/token"))
        except kiosk_api.BadAnswer as exc:
            raise CentralUnavailable(f"token answer had an unexpected shape: {exc}") from exc
        self.on_new_token(fresh.device_token)
        self.client.device_token = fresh.device_token
        log.info("device token rotated; the new one expires %s", fresh.token_expires_at)
        return True
