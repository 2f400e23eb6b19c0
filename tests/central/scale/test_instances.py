"""Three central instances behind HAProxy (the repository's own config) on one PostgreSQL:
kiosks' real agents and an official's desk keep working while the instances are killed
with -9 one at a time, and each periodic job runs once per period across them, taken
over when the instance that ran it dies."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from sqlalchemy import func, select

from central.db.engine import make_engine, make_session_factory
from central.db.models import Kiosk, PeriodicRun, UsageEvent
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, make_org
from devtools.haproxy import start_haproxy
from devtools.launcher import free_port
from devtools.waiting import wait_for
from tests.central.scale.instances import PERIOD_S, Desk, Instance
from tests.kiosk.world import enrolled_agent

pytestmark = pytest.mark.slow


def alerts_run(sessions) -> tuple[int, str]:
    with sessions() as db:
        row = db.get(PeriodicRun, "alerts")
        return (row.runs, row.instance) if row is not None else (0, "")


def test_three_centrals_behind_haproxy_survive_kill_9_one_at_a_time(postgres, tmp_path):
    url = postgres.create_database()
    key = secrets.token_hex(32)
    # The world is made by a central in this process, stopped before the three start.
    setup = start_central(url, secret_key=key)
    national = add_user(setup, "national_admin", None)
    org = make_org(setup, national, with_kiosk=False)
    setup.stop()

    instances = [Instance(f"c{i}", free_port(), tmp_path / f"c{i}.log") for i in (1, 2, 3)]
    sessions = make_session_factory(make_engine(url))
    stop = threading.Event()
    threads: list[threading.Thread] = []
    proxy = None
    try:
        for instance in instances:
            instance.start(url, key)
        proxy = start_haproxy(free_port(), [(i.name, f"127.0.0.1:{i.port}") for i in instances])
        through = RunningCentral(base=proxy.base, app=None, server=None, thread=None)
        agents = []
        for n in range(3):
            agent, _ = enrolled_agent(
                through,
                org,
                tmp_path / f"kiosk{n}",
                central_url=proxy.base,
                heartbeat_interval_s=0.5,
                sync_interval_s=2.0,
            )
            agents.append(agent)
            threads.append(threading.Thread(target=agent.run, args=(stop,), daemon=True))
        added = {id(a): 0 for a in agents}

        def use_the_kiosks() -> None:
            # Citizens at the kiosks: an event every 0.2 s from each, into its outbox.
            while not stop.wait(0.2):
                for agent in agents:
                    agent.outbox.add("service_viewed", {"service_id": "svc"}, session_id="s")
                    added[id(agent)] += 1

        threads.append(threading.Thread(target=use_the_kiosks, daemon=True))
        desk = Desk(proxy.base, org.tokens["official"])
        for thread in [*threads, desk]:
            thread.start()
        assert wait_for(lambda: alerts_run(sessions)[0] >= 2, 30)
        first_runs = alerts_run(sessions)[0]
        started = time.monotonic()

        # First the one that runs the periodic job, then the other two.
        holder = alerts_run(sessions)[1]
        for victim in sorted(instances, key=lambda i: i.name != holder):
            victim.kill()
            # Another instance takes the periodic job over.
            assert wait_for(lambda v=victim: alerts_run(sessions)[1] != v.name, 10), alerts_run(
                sessions
            )
            # Every kiosk is heard of again after the kill, through the living instances.
            killed_at = time.monotonic()
            seen_before = last_seen(sessions)
            assert wait_for(lambda s=seen_before: all_newer(last_seen(sessions), s), 15), (
                victim.name
            )
            print(f"kill {victim.name}: kiosks heard again {time.monotonic() - killed_at:.1f} s")
            victim.start(url, key)

        elapsed = time.monotonic() - started
        runs_during = alerts_run(sessions)[0] - first_runs
        # Once per period across the three (never more), and it never stopped for long.
        assert runs_during <= elapsed / PERIOD_S + 1, (runs_during, elapsed)
        assert runs_during >= elapsed / (3 * PERIOD_S), (runs_during, elapsed)

        stop.set()
        for thread in threads:
            thread.join(10)
        # Everything the kiosks recorded arrived, exactly once (ids are the primary key).
        for agent in agents:
            assert wait_for(lambda a=agent: a.drain_outbox() >= 0 and a.outbox.depth() == 0, 30)
        with sessions() as db:
            arrived = db.scalar(
                select(func.count())
                .select_from(UsageEvent)
                .where(UsageEvent.type == "service_viewed")
            )
        assert arrived == sum(added.values())
        # The desk never saw an error: HAProxy sent its GETs again to a living instance.
        desk.stop.set()
        desk.join(10)
        assert desk.answers and set(desk.answers) == {200}, sorted(set(desk.answers))
    finally:
        stop.set()
        if proxy is not None:
            proxy.stop()
        for instance in instances:
            instance.kill_if_running()


def last_seen(sessions) -> dict[str, object]:
    with sessions() as db:
        return {k.id: k.last_seen for k in db.scalars(select(Kiosk))}


def all_newer(now: dict[str, object], before: dict[str, object]) -> bool:
    return all(now[k] is not None and (before[k] is None or now[k] > before[k]) for k in before)
