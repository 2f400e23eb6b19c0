"""The agent's work, one method per duty; `run` schedules them with backoff.

Central is authoritative for catalogue, bookings and config; the kiosk for
what happened on it (events, check-ins). Nothing central sends is written to
state.db before its shape is checked, and every page is applied in one
transaction, so a bad answer or a crash leaves the last good copy in place.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk import bookings, catalogue, command_queue
from kiosk.agent.backoff import Backoff
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable
from kiosk.outbox import Outbox
from kiosk.store import StateStore

log = logging.getLogger("kiosk.agent")
SOFTWARE_VERSION = "0.1.0"
UI_STALE_AFTER_S = 60
AGENT_COMMANDS = {"sync_now", "reboot", "restart_ui", "update"}
DISRUPTIVE = {"reboot", "restart_ui", "update"}


@dataclass
class AgentSettings:
    heartbeat_interval_s: float = 30.0
    sync_interval_s: float = 300.0
    upload_batch: int = 500
    page_limit: int = 200
    reboot_command: list[str] = field(default_factory=lambda: ["systemctl", "reboot"])
    restart_ui_command: list[str] = field(
        default_factory=lambda: ["systemctl", "restart", "kiosk-ui.service"]
    )
    # A disruptive command waits for the citizen's session to end, at most this long.
    max_disruption_delay_s: float = 900.0


def _check_delta(page: Any) -> dict[str, Any]:
    ok = (
        isinstance(page, dict)
        and isinstance(page.get("items"), list)
        and all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in page["items"])
        and isinstance(page.get("deleted", []), list)
        and all(isinstance(d, str) for d in page.get("deleted", []))
        and isinstance(page.get("cursor"), str)
        and isinstance(page.get("has_more"), bool)
    )
    if not ok:
        raise CentralUnavailable("central's delta answer had an unexpected shape")
    return page


class Agent:
    def __init__(
        self,
        store: StateStore,
        client: CentralClient,
        settings: AgentSettings | None = None,
        run_command: Callable[[list[str]], int] | None = None,
        on_new_token: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        # Keeps a rotated device token (kiosk-agent saves it to credentials.json).
        self.on_new_token = on_new_token
        self.client = client
        self.outbox = Outbox(store)
        self.settings = settings or AgentSettings()
        self.run_command = run_command or (lambda argv: subprocess.run(argv, timeout=60).returncode)
        self.started = time.monotonic()
        self.wake = threading.Event()

    # --- sync: central → state.db ---------------------------------------------

    def _sync_delta(self, path: str, kind: str, apply: Callable[..., None]) -> int:
        key = f"cursor.{kind}"
        since = self.store.get_state(key)
        applied = 0
        while True:
            params: dict[str, Any] = {"limit": self.settings.page_limit}
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

    def sync_catalogue(self) -> int:
        return self._sync_delta("/kiosk/catalogue", "catalogue", catalogue.apply_delta)

    def sync_bookings(self) -> int:
        changed = self._sync_delta("/kiosk/bookings", "bookings", bookings.apply_delta)
        bookings.purge_past(self.store, datetime.now().astimezone())
        return changed

    def sync_config(self) -> bool:
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
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO config (id, version, etag, document) VALUES (1, ?, ?, ?)",
                [document["version"], response.headers.get("ETag"), json.dumps(document)],
            )
        self.store.set_state("config.etag", response.headers.get("ETag"))
        return True

    def sync_all(self) -> None:
        self.sync_config()
        self.sync_catalogue()
        self.sync_bookings()
        self.store.set_state("sync.last_success", datetime.now().astimezone().isoformat())

    # --- uploads: state.db → central --------------------------------------------

    def upload_events(self) -> int:
        """Upload one batch; delete only what central acknowledged. Returns events removed."""
        batch = self.outbox.batch(self.settings.upload_batch)
        if not batch:
            return 0
        answer = self.client.json(
            "POST", "/kiosk/events", json={"events": [e.as_upload() for e in batch]}
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("accepted"), list):
            raise CentralUnavailable("events answer had an unexpected shape")
        taken = [
            i
            for i in answer.get("accepted", []) + answer.get("duplicates", [])
            if isinstance(i, str)
        ]
        rejected = [r for r in answer.get("rejected", []) if isinstance(r, dict)]
        for r in rejected:
            log.warning("central rejected event %s: %s", r.get("id"), r.get("error"))
        # A rejected event will never be accepted: keep the count, drop the event.
        rejected_ids = [str(r.get("id")) for r in rejected]
        if rejected_ids:
            self.store.set_state(
                "outbox.rejected_events",
                int(self.store.get_state("outbox.rejected_events", 0)) + len(rejected_ids),
            )
        return self.outbox.acknowledge(taken + rejected_ids)

    def drain_outbox(self, max_batches: int = 20) -> int:
        """Upload up to max_batches, so a week's backlog never starves heartbeats."""
        total = 0
        for _ in range(max_batches):
            removed = self.upload_events()
            total += removed
            if removed == 0:
                break
        return total

    def replay_checkins(self) -> int:
        rows = self.store.db.execute(
            "SELECT event_id, booking_id, at FROM checkins WHERE status IS NULL LIMIT 100"
        ).fetchall()
        for event_id, booking_id, at in rows:
            answer = self.client.json(
                "POST",
                "/kiosk/checkins",
                json={"event_id": event_id, "booking_id": booking_id, "at": at},
            )
            status = answer.get("status") if isinstance(answer, dict) else None
            if not isinstance(status, str):
                raise CentralUnavailable("check-in answer had no status")
            with self.store.transaction() as db:
                db.execute("UPDATE checkins SET status = ? WHERE event_id = ?", [status, event_id])
        return len(rows)

    # --- heartbeat and commands ---------------------------------------------------

    def health(self) -> dict[str, Any]:
        ui = self.store.get_state("ui.alive") or {}
        ui_state = ui.get("state", "down")
        seen = ui.get("at")
        if not seen or time.time() - float(seen) > UI_STALE_AFTER_S:
            ui_state = "down"
        devices = [
            {"kind": k, "name": n, "state": s, "detail": json.loads(d)}
            for k, n, s, d in self.store.db.execute(
                "SELECT kind, name, state, detail FROM device_status ORDER BY kind, name"
            ).fetchall()
        ]
        config = self.store.db.execute("SELECT version FROM config WHERE id = 1").fetchone()
        return {
            "software_version": SOFTWARE_VERSION,
            "config_version": config[0] if config else None,
            "uptime_s": round(time.monotonic() - self.started, 1),
            "outbox_depth": self.outbox.depth(),
            "dropped_events": self.outbox.dropped(),
            "ui": {"state": ui_state, "since": ui.get("since")},
            "devices": devices,
            "disk_free_mb": shutil.disk_usage(self.store.path.parent).free // (1024 * 1024),
        }

    def heartbeat(self) -> dict[str, Any]:
        answer = self.client.json("POST", "/kiosk/heartbeat", json=self.health())
        if not isinstance(answer, dict) or not isinstance(answer.get("commands"), list):
            raise CentralUnavailable("heartbeat answer had an unexpected shape")
        now = datetime.now().astimezone().isoformat()
        with self.store.transaction() as db:
            for command in answer["commands"]:
                if isinstance(command, dict) and isinstance(command.get("id"), str):
                    db.execute(
                        "INSERT OR IGNORE INTO commands (id, type, args, received_at) "
                        "VALUES (?, ?, ?, ?)",
                        [
                            command["id"],
                            str(command.get("type")),
                            json.dumps(command.get("args") or {}),
                            now,
                        ],
                    )
        self.rotate_token_if_due(answer)
        remote_version = answer.get("config_version")
        local = self.store.db.execute("SELECT version FROM config WHERE id = 1").fetchone()
        if isinstance(remote_version, int) and (local is None or local[0] != remote_version):
            self.wake.set()  # config changed: sync soon
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
        fresh = self.client.json("POST", "/kiosk/token")
        token = fresh.get("device_token") if isinstance(fresh, dict) else None
        if not isinstance(token, str) or not token:
            raise CentralUnavailable("token answer had no device_token")
        self.on_new_token(token)
        self.client.device_token = token
        log.info("device token rotated; the new one expires %s", fresh.get("token_expires_at"))
        return True

    def execute_commands(self) -> None:
        """Run the agent's own commands; the UI runs the rest from the same table."""
        for command_id, type_, received_at in command_queue.received(self.store, AGENT_COMMANDS):
            if type_ in DISRUPTIVE and self.store.get_state("ui.session_active", False):
                waited = time.time() - datetime.fromisoformat(received_at).timestamp()
                if waited < self.settings.max_disruption_delay_s:
                    continue  # wait for the citizen to finish
                self._finish(
                    command_id, "failed", f"a citizen's session was in progress for {int(waited)} s"
                )
                continue
            if type_ == "sync_now":
                try:
                    self.sync_all()
                    self._finish(command_id, "succeeded", "synced")
                except (CentralUnavailable, CentralRejected) as exc:
                    self._finish(command_id, "failed", str(exc))
            elif type_ == "update":
                self._finish(command_id, "failed", "updates are not supported by this version")
            else:
                argv = (
                    self.settings.reboot_command
                    if type_ == "reboot"
                    else self.settings.restart_ui_command
                )
                # Report first: after a reboot there is nobody left to report.
                self._finish(command_id, "succeeded", f"running {' '.join(argv)}")
                self.report_results()
                try:
                    code = self.run_command(argv)
                except (OSError, subprocess.SubprocessError) as exc:
                    code = -1
                    log.error("%s failed: %s", argv, exc)
                if code != 0:
                    log.error("%s exited with %s", argv, code)

    def _finish(self, command_id: str, status: str, detail: str) -> None:
        command_queue.finish(self.store, command_id, status, detail)

    def report_results(self) -> int:
        rows = self.store.db.execute(
            "SELECT id, status, detail FROM commands "
            "WHERE status IN ('succeeded', 'failed') AND reported = 0"
        ).fetchall()
        for command_id, status, detail in rows:
            try:
                self.client.call(
                    "POST",
                    f"/kiosk/commands/{command_id}/result",
                    json={"status": status, "detail": detail},
                )
                artifact = command_queue.artifact_path(self.store, command_id)
                if artifact.exists():
                    self.client.call(
                        "PUT",
                        f"/kiosk/commands/{command_id}/artifact",
                        data=artifact.read_bytes(),
                        headers={"Content-Type": "image/png"},
                    )
            except CentralRejected as exc:
                log.warning("central refused result of %s: %s", command_id, exc)
            command_queue.artifact_path(self.store, command_id).unlink(missing_ok=True)
            with self.store.transaction() as db:
                db.execute("UPDATE commands SET reported = 1 WHERE id = ?", [command_id])
        return len(rows)

    # --- the loop -------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Heartbeat on its own schedule; sync and uploads between beats, each with backoff."""
        duties: list[tuple[str, Callable[[], Any], float]] = [
            ("heartbeat", self.heartbeat, self.settings.heartbeat_interval_s),
            ("commands", lambda: (self.execute_commands(), self.report_results()), 5.0),
            ("sync", self.sync_all, self.settings.sync_interval_s),
            ("checkins", self.replay_checkins, 10.0),
            ("events", self.drain_outbox, 10.0),
        ]
        due = {name: 0.0 for name, _, _ in duties}
        backoff = {name: Backoff() for name, _, _ in duties}
        while not stop.is_set():
            if self.wake.is_set():
                self.wake.clear()
                due["sync"] = 0.0
            for name, duty, interval in duties:
                if stop.is_set() or time.monotonic() < due[name]:
                    continue
                try:
                    duty()
                    backoff[name].succeeded()
                    due[name] = time.monotonic() + interval
                except (CentralUnavailable, CentralRejected) as exc:
                    wait = (
                        min(backoff[name].failed(), interval)
                        if name == "heartbeat"
                        else backoff[name].failed()
                    )
                    self.store.set_state(f"{name}.last_error", str(exc))
                    log.warning("%s failed (%s); next try in %.1f s", name, exc, wait)
                    due[name] = time.monotonic() + wait
            next_due = min(due.values()) - time.monotonic()
            stop.wait(max(0.05, min(next_due, 1.0)))
