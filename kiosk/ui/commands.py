"""Remote commands the UI runs: maintenance on/off, screenshot, test page, self-test.

The agent stores what heartbeats hand out (kiosk/command_queue.py); this
runs the UI's share from the main loop's tick and finishes each there. A
screenshot waits until no citizen is using the kiosk; device work runs in a
thread, so the screen never freezes.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.core.window import Window

from contract.kiosk_api import UI_COMMANDS, CommandType
from kiosk import command_queue, self_test

SLOW = frozenset({CommandType.PRINT_TEST_PAGE, CommandType.SELF_TEST})


class UiCommands:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.store = app.store

    def run_pending(self) -> None:
        for command_id, type_, _received in command_queue.received(self.store, UI_COMMANDS):
            if type_ == CommandType.SCREENSHOT and self.app.session.active:
                continue  # never capture a citizen's screen: wait until they are done
            if type_ in SLOW:  # device work takes seconds: not on the main loop
                command_queue.mark_running(self.store, command_id)
                threading.Thread(
                    target=self._run_and_finish, args=(command_id, type_), daemon=True
                ).start()
                continue
            self._run_and_finish(command_id, type_)

    def _run_and_finish(self, command_id: str, type_: str) -> None:
        try:
            status, detail = self.run(command_id, type_)
        except Exception as exc:  # noqa: BLE001 - every failure is reported back to central
            status, detail = "failed", f"{exc.__class__.__name__}: {exc}"
        command_queue.finish(self.store, command_id, status, detail)

    def run(self, command_id: str, type_: str) -> tuple[str, str]:
        app = self.app
        if type_ in (CommandType.MAINTENANCE_ON, CommandType.MAINTENANCE_OFF):
            message = command_queue.args_of(self.store, command_id).get("message", "")
            return app.set_maintenance(
                type_ == CommandType.MAINTENANCE_ON, message if isinstance(message, str) else ""
            )
        if type_ == CommandType.SCREENSHOT:
            target = command_queue.artifact_path(self.store, command_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            taken = Path(Window.screenshot(name=str(target.with_suffix("")) + "-%(counter)s.png"))
            taken.replace(target)
            return "succeeded", f"screenshot {Window.size[0]}x{Window.size[1]}"
        if type_ == CommandType.PRINT_TEST_PAGE:
            printer = app.device("printer")
            if printer is None:
                return "failed", "this kiosk has no receipt printer"
            printer.print_receipt(
                ["Palvelupiste", "Test page", datetime.now().isoformat()], title="TEST"
            )
            return "succeeded", "test page printed"
        if type_ == CommandType.SELF_TEST:
            results = self_test.run_all(app.devices)
            self_test.save(self.store, results)  # the details reach central with a heartbeat
            failed = [f"{r.report.kind}/{r.report.name}" for r in results if not r.report.passed]
            return ("failed" if failed else "succeeded"), (
                f"failed: {', '.join(failed)}" if failed else f"{len(results)} devices passed"
            )
        return "failed", f"unknown UI command {type_}"
