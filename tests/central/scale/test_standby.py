"""PostgreSQL with a streaming standby under two centrals behind HAProxy: the primary is
stopped and the standby promoted while kiosks send heartbeats, events and check-ins and
a booking system books; afterwards every acknowledged write is in the new primary.

The centrals are given one URL naming both servers with
`target_session_attrs=read-write` (devtools/postgres.py `failover_url`): libpq connects
to whichever takes writes, and the pool's pre-ping drops connections to the old one."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
import requests
from sqlalchemy import select

from central.db.engine import make_engine, make_session_factory
from central.db.models import Booking, Kiosk, UsageEvent
from devtools.builders import booking_request, sample_catalogue
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, make_org, ok
from devtools.haproxy import start_haproxy
from devtools.launcher import free_port
from devtools.postgres import failover_url, start_postgres, start_standby
from devtools.waiting import wait_for
from kiosk.agent.client import CentralUnavailable
from tests.central.scale.instances import Instance
from tests.kiosk.world import enrolled_agent

pytestmark = pytest.mark.slow

SERVICE = sample_catalogue()["itemList"][0]["id"]


class Writer(threading.Thread):
    """Sends one kind of write again and again through HAProxy; keeps what was acknowledged."""

    def __init__(self, send) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.acked: list = []
        self.refused: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.wait(0.05):
            n += 1
            try:
                acked = self.send(n)
            except requests.RequestException:
                acked = None
            if isinstance(acked, int):  # a status code: refused
                self.refused.append(acked)
            elif acked is not None:  # ("ack", what was acknowledged)
                self.acked.append(acked[1])


def test_a_promoted_standby_has_every_acknowledged_write(tmp_path):
    primary = start_postgres()
    standby = None
    instances: list[Instance] = []
    proxy = None
    try:
        with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "central"')
        standby = start_standby(primary)
        url = failover_url("central", [primary, standby])
        key = secrets.token_hex(32)
        setup = start_central(url, secret_key=key)
        national = add_user(setup, "national_admin", None)
        ok(setup.request("POST", "/catalogue/import", national, json=sample_catalogue()))
        org = make_org(setup, national, with_kiosk=False)
        setup.stop()
        instances = [Instance(f"c{i}", free_port(), tmp_path / f"c{i}.log") for i in (1, 2)]
        for instance in instances:
            instance.start(url, key)
        proxy = start_haproxy(free_port(), [(i.name, f"127.0.0.1:{i.port}") for i in instances])
        through = RunningCentral(base=proxy.base, app=None, server=None, thread=None)
        http = requests.Session()

        def post(path: str, token: str, body: dict) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}"}
            return http.post(f"{proxy.base}/api/v1{path}", json=body, headers=headers, timeout=10)

        agents = []
        for n in range(2):
            agent, creds = enrolled_agent(
                through, org, tmp_path / f"kiosk{n}", central_url=proxy.base
            )
            agents.append((agent, creds.device_token))
        kiosk_token = agents[0][1]

        def heartbeat(n: int):
            # `uptime_s` numbers the beats: the database must hold the last acknowledged.
            answer = post("/kiosk/heartbeat", kiosk_token, {"uptime_s": n})
            return ("ack", n) if answer.status_code == 200 else answer.status_code

        def booking_and_check_in(n: int):
            body = booking_request(org.site_id, f"fo-{n}", SERVICE)
            booked = post("/bookings", org.tokens["booking_system"], body)
            if booked.status_code not in (200, 201):
                return booked.status_code
            checkin = {"event_id": str(uuid.uuid4()), "booking_id": booked.json()["id"],
                       "at": datetime.now(UTC).isoformat()}  # fmt: skip
            checked = post("/kiosk/checkins", kiosk_token, checkin)
            if checked.status_code != 200:
                return ("ack", ("booked", booked.json()["id"]))
            return ("ack", (checked.json()["status"], booked.json()["id"]))

        def event(n: int):
            # Recorded in the kiosk's outbox, then sent (the agent sends again what central
            # did not take); acknowledged means central took it.
            agent = agents[1][0]
            agent.outbox.add("service_viewed", {"service_id": "svc"}, session_id="s")
            try:
                agent.drain_outbox()
            except CentralUnavailable:
                return 503
            return ("ack", n) if agent.outbox.depth() == 0 else None

        writers = [Writer(heartbeat), Writer(booking_and_check_in), Writer(event)]
        for writer in writers:
            writer.start()
        assert wait_for(lambda: all(len(w.acked) >= 5 for w in writers), 30), [
            (len(w.acked), w.refused[-3:]) for w in writers
        ]
        primary.halt("fast")  # the operator stops the primary …
        stopped = time.monotonic()
        standby.promote()  # … and promotes the standby
        before = [len(w.acked) for w in writers]
        assert wait_for(
            lambda: all(len(w.acked) >= b + 5 for w, b in zip(writers, before, strict=True)), 60
        ), [w.refused[-5:] for w in writers]
        print(f"writes acknowledged again {time.monotonic() - stopped:.1f} s after the stop")
        for writer in writers:
            writer.stop.set()
            writer.join(10)
        # What was refused meanwhile was a clear 503 (or HAProxy's 503 with no instance
        # ready), never a 500.
        refused = {code for w in writers for code in w.refused}
        assert refused <= {502, 503}, refused
        print(f"acknowledged: {[len(w.acked) for w in writers]}; refused: {sorted(refused)}")
        agent = agents[1][0]
        assert wait_for(lambda: agent.drain_outbox() >= 0 and agent.outbox.depth() == 0, 30)

        sessions = make_session_factory(make_engine(standby.url("central")))
        with sessions() as db:
            beat, books, events = writers
            kiosk = db.scalars(select(Kiosk).where(Kiosk.device_token_hash.is_not(None))).all()
            uptime = max(k.health.get("uptime_s") or 0 for k in kiosk)
            assert uptime >= max(beat.acked)
            booked = {b.id: b.checked_in_at for b in db.scalars(select(Booking))}
            for kind, booking_id in books.acked:
                assert booking_id in booked
                if kind == "checked_in":
                    assert booked[booking_id] is not None
            arrived = len(db.scalars(select(UsageEvent.id)).all())
            assert arrived == events.acked[-1]  # every event added, once
    finally:
        if proxy is not None:
            proxy.stop()
        for instance in instances:
            instance.kill_if_running()
        primary.stop()
        if standby is not None:
            standby.stop()
