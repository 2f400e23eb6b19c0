"""The agent's own remote commands (sync_now, reboot, restart_ui, update) and the reporting
of every finished command, the UI's included, back to central."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from datetime import datetime

from contract.kiosk_api import AGENT_COMMANDS, CommandType
from kiosk import command_queue
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable
from kiosk.store import StateStore
from kiosk.update import handover

log = logging.getLogger("kiosk.agent")
DISRUPTIVE = {CommandType.REBOOT, CommandType.RESTART_UI, CommandType.UPDATE}


class AgentCommands:
    def __init__(
        self,
        store: StateStore,
        client: CentralClient,
        sync: Callable[[], None],
        nudge_updater: Callable[[], None],
        run_command: Callable[[list[str]], int],
        reboot_command: list[str],
        restart_ui_command: list[str],
        max_disruption_delay_s: float,
    ) -> None:
        self.store = store
        self.client = client
        self.sync = sync
        self.nudge_updater = nudge_updater
        self.run_command = run_command
        self.reboot_command = reboot_command
        self.restart_ui_command = restart_ui_command
        self.max_disruption_delay_s = max_disruption_delay_s

    def execute(self) -> None:
        """Run the agent's own commands; the UI runs the rest from the same table."""
        for command_id, type_, received_at in command_queue.received(self.store, AGENT_COMMANDS):
            if type_ == CommandType.UPDATE:
                self._update(command_id)
                continue
            if type_ in DISRUPTIVE and self.store.get_state("ui.session_active", False):
                waited = time.time() - datetime.fromisoformat(received_at).timestamp()
                if waited < self.max_disruption_delay_s:
                    continue  # wait for the citizen to finish
                self._finish(
                    command_id, "failed", f"a citizen's session was in progress for {int(waited)} s"
                )
                continue
            if type_ == CommandType.SYNC_NOW:
                try:
                    self.sync()
                    self._finish(command_id, "succeeded", "synced")
                except (CentralUnavailable, CentralRejected) as exc:
                    self._finish(command_id, "failed", str(exc))
            else:
                reboot = type_ == CommandType.REBOOT
                argv = self.reboot_command if reboot else self.restart_ui_command
                # Report first: after a reboot there is nobody left to report.
                self._finish(command_id, "succeeded", f"running {' '.join(argv)}")
                self.report()
                try:
                    code = self.run_command(argv)
                except (OSError, subprocess.SubprocessError) as exc:
                    code = -1
                    log.error("%s failed: %s", argv, exc)
                if code != 0:
                    log.error("%s exited with %s", argv, code)

    def _update(self, command_id: str) -> None:
        """`update {version}`: this kiosk alone to that release, by the same updater and
        health gate as a deployment (which waits for the citizen by itself)."""
        args = command_queue.args_of(self.store, command_id)
        version = args.get("version")
        if not isinstance(version, str) or not version:
            self._finish(command_id, "failed", "the update command needs args {version}")
            return
        wish = {"version": version, "target": args.get("target"), "deployment": None}
        handover.wish(self.store, wish)
        self.nudge_updater()
        self._finish(
            command_id,
            "succeeded",
            f"release {version} requested; the kiosk's update state shows its progress",
        )

    def _finish(self, command_id: str, status: str, detail: str) -> None:
        command_queue.finish(self.store, command_id, status, detail)

    def report(self) -> int:
        rows = command_queue.finished_unreported(self.store)
        for command_id, status, detail in rows:
            try:
                # The screenshot first: once central says "succeeded", it is there to fetch.
                artifact = command_queue.artifact_path(self.store, command_id)
                if artifact.exists():
                    self.client.call(
                        "PUT",
                        f"/kiosk/commands/{command_id}/artifact",
                        data=artifact.read_bytes(),
                        headers={"Content-Type": "image/png"},
                    )
                self.client.call(
                    "POST",
                    f"/kiosk/commands/{command_id}/result",
                    json={"status": status, "detail": detail},
                )
            except CentralRejected as exc:
                log.warning("central refused result of %s: %s", command_id, exc)
            command_queue.artifact_path(self.store, command_id).unlink(missing_ok=True)
            command_queue.mark_reported(self.store, command_id)
        return len(rows)
