"""The agent: its duties wired to one scheduler.

Each duty lives in its own module: sync.py (central → state.db), uploads.py
(state.db → central), heartbeat.py (health out, commands in), commands.py
(the agent's own commands and results). scheduler.py runs them, each on its
interval and with its own backoff, and survives any error in any of them.
Intervals follow central's configuration (`heartbeat_interval_s`,
`sync_interval_s`) unless the command line fixes them.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk import config, device_status, disk_reserve
from kiosk.agent.client import CentralClient
from kiosk.agent.commands import AgentCommands
from kiosk.agent.heartbeat import SOFTWARE_VERSION, Heartbeat
from kiosk.agent.scheduler import Duty, Scheduler
from kiosk.agent.sync import Sync
from kiosk.agent.uploads import Uploads
from kiosk.outbox import Outbox
from kiosk.store import StateStore

__all__ = ["SOFTWARE_VERSION", "Agent", "AgentSettings"]


@dataclass
class AgentSettings:
    # None: follow central's configuration (kiosk/config.py); a number fixes it.
    heartbeat_interval_s: float | None = None
    sync_interval_s: float | None = None
    upload_batch: int = 500
    page_limit: int = 200
    reboot_command: list[str] = field(default_factory=lambda: ["systemctl", "reboot"])
    restart_ui_command: list[str] = field(
        default_factory=lambda: ["systemctl", "restart", "kiosk-ui.service"]
    )
    # Starts the updater now (it also runs on its own timer); empty: the timer only.
    update_command: list[str] = field(
        default_factory=lambda: ["systemctl", "start", "--no-block", "kiosk-update.service"]
    )
    # A disruptive command waits for the citizen's session to end, at most this long.
    max_disruption_delay_s: float = 900.0
    # Space kept aside on the state partition for when it fills (kiosk/disk_reserve.py).
    space_reserve_mb: int = 0
    # Where the box's time-zone link lives (the image's /etc/localtime points into it;
    # kiosk/box_timezone.py); None: the box's zone is left alone (a developer's machine).
    zone_dir: Path | None = None


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
        self.client = client
        self.settings = s = settings or AgentSettings()
        self.scheduler = Scheduler(duties=[], on_error=self._remember_error)
        self.sync = Sync(store, client, s.page_limit, zone_dir=s.zone_dir)
        self.uploads = Uploads(store, client, s.upload_batch)
        self.run_command = run_command or (
            lambda argv: subprocess.run(argv, timeout=60, check=False).returncode
        )
        self.heart = Heartbeat(
            store,
            client,
            errors=self.scheduler.errors,
            on_new_token=on_new_token,
            on_new_config=lambda: self.scheduler.due_now.add("sync"),
            on_new_release=self.nudge_updater,
        )
        self.commands = AgentCommands(
            store,
            client,
            sync=self.sync.everything,
            nudge_updater=self.nudge_updater,
            run_command=self.run_command,
            reboot_command=s.reboot_command,
            restart_ui_command=s.restart_ui_command,
            max_disruption_delay_s=s.max_disruption_delay_s,
        )
        self.scheduler.duties = [
            Duty("heartbeat", self.heartbeat, self.heartbeat_interval_s, capped_by_interval=True),
            Duty("commands", self.run_commands, lambda: 5.0),
            Duty("sync", self.sync_all, self.sync_interval_s),
            Duty("checkins", self.replay_checkins, lambda: 10.0),
            Duty("events", self.drain_outbox, lambda: 10.0),
            Duty("device_faults", self._beat_if_asked, lambda: 1.0),
        ]

    # --- intervals: the command line's, else central's -------------------------------

    def heartbeat_interval_s(self) -> float:
        fixed = self.settings.heartbeat_interval_s
        return fixed if fixed is not None else config.current(self.store).heartbeat_interval_s

    def sync_interval_s(self) -> float:
        fixed = self.settings.sync_interval_s
        return fixed if fixed is not None else config.current(self.store).sync_interval_s

    # --- the duties, also callable one at a time (provisioning, tests) ----------------

    @property
    def outbox(self) -> Outbox:
        return self.uploads.outbox

    @outbox.setter
    def outbox(self, outbox: Outbox) -> None:
        """One outbox for the uploads and the heartbeat's depth and drop counts."""
        self.uploads.outbox = self.heart.outbox = outbox

    @property
    def on_new_token(self) -> Callable[[str], None] | None:
        return self.heart.on_new_token

    @on_new_token.setter
    def on_new_token(self, keep: Callable[[str], None] | None) -> None:
        self.heart.on_new_token = keep

    def sync_all(self) -> None:
        self.sync.everything()

    def heartbeat(self) -> dict[str, Any]:
        answer = self.heart.beat()
        disk_reserve.set_aside_if_room(self.store.path.parent, self.settings.space_reserve_mb)
        return answer

    def upload_events(self) -> int:
        return self.uploads.events()

    def drain_outbox(self, max_batches: int = 20) -> int:
        return self.uploads.drain(max_batches)

    def replay_checkins(self) -> int:
        return self.uploads.checkins()

    def execute_commands(self) -> None:
        self.commands.execute()

    def run_commands(self) -> None:
        self.commands.execute()
        self.commands.report()

    def nudge_updater(self) -> None:
        if not self.settings.update_command:
            return
        try:
            self.run_command(self.settings.update_command)
        except (OSError, subprocess.SubprocessError) as exc:
            self.store.set_state("update.last_error", f"{exc.__class__.__name__}: {exc}")

    def _beat_if_asked(self) -> None:
        """A device failed (the UI asked): the heartbeat carries it now, not in 30 s."""
        if device_status.report_requested(self.store):
            self.scheduler.due_now.add("heartbeat")

    def _remember_error(self, duty: str, exc: BaseException) -> None:
        self.store.set_state(f"{duty}.last_error", f"{exc.__class__.__name__}: {exc}")

    def run(self, stop: threading.Event) -> None:
        """Every duty on its schedule until `stop`; no error in a duty ends it."""
        self.scheduler.run(stop)
