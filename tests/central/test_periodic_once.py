"""Periodic work once per period across central instances (central/background.py), on
SQLite and PostgreSQL: three instances' schedulers with engines of their own race for
one job; one instance stops and the others take its job over; a holder killed with -9
lets go of the job's lock at once. The three real centrals behind HAProxy are in
tests/central/scale/test_instances.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from central.background import Every
from central.db.engine import make_engine, make_session_factory
from central.db.exclusive import held
from central.db.migrate import upgrade
from central.db.models import PeriodicRun
from devtools.waiting import wait_for

PERIOD_S = 0.3
# central's own periodic jobs, by their threads' names
RUNNERS = {"retention", "appointments", "payments", "alerts", "ptv-sync", "media-cleanup"}
RUNNERS |= {"calls-sweep", "media-pool", "timestamps"}

# Periodic work takes whole periods to show: the full tier (the fast one is at its limit).
pytestmark = pytest.mark.slow


def instances(database_url: str, n: int) -> list:
    upgrade(make_engine(database_url))
    return [make_session_factory(make_engine(database_url)) for _ in range(n)]


def test_three_instances_run_a_job_once_per_period(database_url):
    sessions = instances(database_url, 3)
    starts: list[tuple[str, float]] = []
    lock = threading.Lock()

    def job_of(name: str):
        def job() -> None:
            with lock:
                starts.append((name, time.monotonic()))
            time.sleep(0.05)

        return job

    runners = [
        Every("probe", PERIOD_S, job_of(f"i{i}"), sessions=s, instance=f"i{i}")
        for i, s in enumerate(sessions)
    ]
    for runner in runners:
        runner.start()
    assert wait_for(lambda: len(starts) >= 6, 30), starts
    # One instance stops (as if it died between two runs): the others carry on.
    last = starts[-1][0]
    stopped = runners[int(last[1])]
    stopped.stop.set()
    stopped.thread.join(5)
    count = len(starts)
    assert wait_for(lambda: len(starts) >= count + 4, 30), starts
    for runner in runners:
        runner.stop.set()
    for runner in runners:
        runner.thread.join(5)
    after_stop = [name for name, _ in starts[count:]]
    assert last not in after_stop and len(set(after_stop)) >= 1
    # Never two runs within one period, whichever instance ran them.
    gaps = [b - a for (_, a), (_, b) in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= PERIOD_S - 0.05, gaps
    # The shared row counts every run of every instance.
    with sessions[0]() as db:
        row = db.scalars(select(PeriodicRun).where(PeriodicRun.name == "probe")).one()
    assert row.runs == len(starts)
    assert row.instance == starts[-1][0] and row.finished_at is not None


HOLDER = """
import sys, time
from central.db.engine import make_engine
from central.db.exclusive import held
with held(make_engine(sys.argv[1]), "killed-holder") as mine:
    print("held" if mine else "not held", flush=True)
    time.sleep(600)
"""


def test_a_holder_killed_with_9_lets_go_at_once(database_url):
    upgrade(make_engine(database_url))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        engine = make_engine(database_url)
        with held(engine, "killed-holder") as mine:
            assert not mine  # the other process has it
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)

        def free() -> bool:
            with held(engine, "killed-holder") as mine:
                return mine

        assert wait_for(free, 10)
    finally:
        holder.kill()
        holder.wait(10)


def test_a_stopped_central_waits_for_a_pass_under_way(tmp_path, monkeypatch):
    """Once a central's `stop()` returns, no pass of its jobs is under way and none
    makes its lock file beside the database (a bench run's temporary folder once failed
    to be removed: a job's lock file appeared while it was being removed)."""
    from central.fleet import alerts
    from devtools.central_server import start_central

    inside, release, ended = threading.Event(), threading.Event(), threading.Event()

    def slow_evaluate(db, settings):  # a pass that is under way when central stops
        inside.set()
        release.wait(3)
        ended.set()
        return {}

    monkeypatch.setattr(alerts, "evaluate", slow_evaluate)
    folder = tmp_path / "db"
    folder.mkdir()
    central = start_central(f"sqlite:///{folder}/central.db", alerts_every_s=0.5)
    assert inside.wait(30)
    central.stop()
    assert ended.is_set() and not central.thread.is_alive()
    alive = {t.name for t in threading.enumerate()} & RUNNERS
    assert not alive, alive
    for path in list(folder.iterdir()):
        path.unlink()
    time.sleep(1.0)
    assert list(folder.iterdir()) == []
