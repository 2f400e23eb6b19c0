"""Work central does on its own now and then (retention, alerts): one daemon thread per job.

A failing pass is logged and tried again at the next interval; it never ends the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("central")


class Every:
    def __init__(
        self, name: str, interval_s: float, job: Callable[[], None], at_start: bool = False
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.job = job
        self.at_start = at_start
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        if self.at_start:
            self._once()
        while not self.stop.wait(self.interval_s):
            self._once()

    def _once(self) -> None:
        try:
            self.job()
        except Exception:  # noqa: BLE001 - a bad pass must not end the thread
            log.exception("%s pass failed; trying again later", self.name)
