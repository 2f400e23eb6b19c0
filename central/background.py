"""Work central does on its own now and then (retention, alerts, PTV syncs …): one daemon
thread per job in every instance, and, given the shared database, one run per period
across all of them.

Each instance looks every fifth of the period whether the job is due (the shared
`periodic_runs` row says when it last started anywhere); the first to find it due, and
to hold its lock (central/db/exclusive.py), runs it. So a job runs once per period
however many centrals and workers there are, and when the instance that ran it dies,
another takes it over within a fifth of a period of its being due.

A failing pass is logged and tried again at the next period; it never ends the thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from central.db.engine import changed, session_scope
from central.db.exclusive import held
from central.db.models import PeriodicRun
from central.db.types import utcnow

log = logging.getLogger("central")


def instance_name(configured: str = "") -> str:
    """This process among the centrals: `instance_name`, or host and process id."""
    return configured or f"{socket.gethostname()}:{os.getpid()}"


class Every:
    def __init__(
        self,
        name: str,
        interval_s: float,
        job: Callable[[], None],
        at_start: bool = False,
        sessions: sessionmaker[Session] | None = None,
        instance: str = "",
    ) -> None:
        """`sessions` shares the schedule through the database (once across instances);
        without it the job runs in this process every `interval_s`, whoever else does."""
        self.name = name
        self.interval_s = interval_s
        self.job = job
        self.at_start = at_start
        self.sessions = sessions
        self.instance = instance_name(instance)
        self.tick_s = interval_s if sessions is None else max(0.1, interval_s / 5)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout_s: float) -> bool:
        """Waits for a pass under way to end once `stop` is set: after shutdown no job
        touches the database or its lock files. True when the thread has ended."""
        if self.thread.is_alive():
            self.thread.join(timeout_s)
        return not self.thread.is_alive()

    def _run(self) -> None:
        if self.at_start:
            self._once()
        while not self.stop.wait(self.tick_s):
            self._once()

    def _once(self) -> None:
        try:
            if self.sessions is None:
                self.job()
            else:
                self._once_across()
        except Exception:  # noqa: BLE001 - a bad pass must not end the thread
            log.exception("%s pass failed; trying again later", self.name)

    def _once_across(self) -> None:
        assert self.sessions is not None
        engine: Engine = self.sessions.kw["bind"]
        with held(engine, f"periodic-{self.name}") as mine:
            if not mine or not self._claim():
                return
            try:
                self.job()
            finally:
                with session_scope(self.sessions) as db:
                    db.execute(
                        update(PeriodicRun)
                        .where(PeriodicRun.name == self.name)
                        .values(finished_at=utcnow())
                    )

    def _claim(self) -> bool:
        """This period's run, if no instance has started one within the period."""
        assert self.sessions is not None
        now = utcnow()
        with session_scope(self.sessions) as db:
            due = (
                update(PeriodicRun)
                .where(PeriodicRun.name == self.name)
                .where(PeriodicRun.started_at <= now - timedelta(seconds=self.interval_s))
                .values(started_at=now, runs=PeriodicRun.runs + 1, instance=self.instance)
            )
            if changed(db, due) == 1:
                return True
            if db.get(PeriodicRun, self.name) is not None:
                return False
            # The first run ever (the lock is held: no other instance inserts it now).
            db.add(PeriodicRun(name=self.name, started_at=now, runs=1, instance=self.instance))
            return True
