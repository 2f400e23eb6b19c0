"""The agent's one loop: each duty on its own interval, each failure backed off alone.

A duty that raises anything (central down, a locked database, a full disk, a
bug) is logged, counted and retried later with backoff; the loop and the
other duties go on. The counts travel in the heartbeat, so central sees an
agent that keeps failing instead of a silent one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.agent.backoff import Backoff

log = logging.getLogger("kiosk.agent")


@dataclass
class Duty:
    name: str
    run: Callable[[], Any]
    # Asked before each wait, so an interval central changes applies at once.
    interval_s: Callable[[], float]
    # A heartbeat never waits longer than its interval, however often it failed.
    capped_by_interval: bool = False


@dataclass
class Scheduler:
    duties: list[Duty]
    on_error: Callable[[str, BaseException], None] | None = None
    errors: dict[str, int] = field(default_factory=dict)
    # Set from outside (e.g. a new config version) to run a duty now.
    due_now: set[str] = field(default_factory=set)

    def run(self, stop: threading.Event) -> None:
        due = {d.name: 0.0 for d in self.duties}
        backoff = {d.name: Backoff() for d in self.duties}
        while not stop.is_set():
            for name in list(self.due_now):
                self.due_now.discard(name)
                due[name] = 0.0
            for duty in self.duties:
                if stop.is_set() or time.monotonic() < due[duty.name]:
                    continue
                due[duty.name] = time.monotonic() + self._run_one(duty, backoff[duty.name])
            next_due = min(due.values()) - time.monotonic()
            stop.wait(max(0.05, min(next_due, 1.0)))

    def _run_one(self, duty: Duty, backoff: Backoff) -> float:
        """Run a duty; how long until it is due again."""
        interval = max(1.0, float(duty.interval_s()))
        try:
            duty.run()
        except Exception as exc:  # noqa: BLE001 - one duty's failure must never end the agent
            self.errors[duty.name] = self.errors.get(duty.name, 0) + 1
            wait = backoff.failed()
            if duty.capped_by_interval:
                wait = min(wait, interval)
            log.warning(
                "%s failed (%s: %s); next try in %.1f s",
                duty.name,
                exc.__class__.__name__,
                exc,
                wait,
            )
            if self.on_error is not None:
                try:
                    self.on_error(duty.name, exc)
                except Exception:  # noqa: BLE001 - not even the error report may stop it
                    log.exception("recording %s's error failed", duty.name)
            return wait
        backoff.succeeded()
        return interval
