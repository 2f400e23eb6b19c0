"""The agent against a real central on loopback: enrolment, sync, uploads, commands, faults."""

from __future__ import annotations

import http.server
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from devtools.builders import booking_request, sample_catalogue
from devtools.central_world import ok
from devtools.launcher import free_port
from devtools.waiting import wait_for
from kiosk import bookings, catalogue
from kiosk.agent.agent import Agent
from kiosk.agent.client import CentralClient, CentralUnavailable, Credentials
from kiosk.outbox import Outbox
from kiosk.store import StateStore
from tests.kiosk.world import enrolled_agent

SERVICES = [s["id"] for s in sample_catalogue()["itemList"]]


def test_enrol_sync_and_serve_from_the_local_copy(central_site, tmp_path):
    central, org = central_site
    agent, creds = enrolled_agent(central, org, tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "credentials.json").st_mode)
    assert mode == 0o600 and Credentials.load(tmp_path / "credentials.json") == creds
    start = datetime.now(UTC) + timedelta(hours=1)
    made = ok(
        central.request(
            "POST",
            "/bookings",
            org.tokens["booking_system"],
            json=booking_request(
                org.site_id, f"a-{tmp_path.name}", SERVICES[0], start, display_name="Aino L."
            ),
        ),
        201,
    )
    agent.sync_all()
    assert len(catalogue.all_services(agent.store)) == len(SERVICES)
    assert bookings.find_by_code(agent.store, made["code"]).display_name == "Aino L."
    assert agent.sync.config() is False  # 304: unchanged
    ok(
        central.request(
            "PATCH",
            f"/sites/{org.site_id}/config",
            org.tokens["org_admin"],
            json={"idle_timeout_s": 75},
        )
    )
    assert agent.sync.config() is True

    # Check-in made offline is replayed, and the answer stored.
    event_id = bookings.queue_checkin(agent.store, made["id"])
    assert agent.replay_checkins() == 1
    status = agent.store.db.execute(
        "SELECT status FROM checkins WHERE event_id = ?", [event_id]
    ).fetchone()[0]
    assert status == "checked_in"


def test_a_stolen_kiosks_state_tells_no_booking_names(central_site, tmp_path):
    """state.db kept today's bookings' names in plain text: who visits which authority
    when. Now each name is sealed with its booking's code (and card): the file, its
    WAL and its journal hold no name, and the code or the card still opens it."""
    central, org = central_site
    agent, _creds = enrolled_agent(central, org, tmp_path)
    start = datetime.now(UTC) + timedelta(hours=2)
    name, card = "Meikäläinen, Matti Johannes", "04A1B2C3D4E5F6"
    made = ok(
        central.request(
            "POST",
            "/bookings",
            org.tokens["booking_system"],
            json=booking_request(
                org.site_id, f"s-{tmp_path.name}", SERVICES[0], start,
                display_name=name, card_id=card,
            ),
        ),
        201,
    )  # fmt: skip
    agent.sync_all()
    for path in tmp_path.glob("state.db*"):
        content = path.read_bytes()
        for word in ("Meikäläinen", "Matti", "Johannes"):
            assert word.encode() not in content and word.encode("utf-16-le") not in content
    assert bookings.find_by_code(agent.store, made["code"]).display_name == name
    assert bookings.find_by_card(agent.store, card).display_name == name
    assert bookings.find_by_code(agent.store, "ABCD2345") is None
    sealed = agent.store.db.execute("SELECT name_sealed_code, code_salt FROM bookings").fetchone()
    from contract.codes import open_name

    assert open_name(sealed[0], "ABCD2345", sealed[1]) is None  # another code opens nothing
    assert open_name(sealed[0][:-4] + "AAAA", made["code"], sealed[1]) is None  # tampered


def test_outbox_upload_is_exactly_once_at_central(central_site, tmp_path):
    central, org = central_site
    agent, creds = enrolled_agent(central, org, tmp_path, upload_batch=7)
    for n in range(30):
        agent.outbox.add("service_viewed", {"service_id": SERVICES[n % 3]}, session_id="s")
    agent.outbox.add("search", {"query": "passi 2026"})  # central rejects digits
    assert agent.drain_outbox() == 31
    assert agent.outbox.depth() == 0
    assert agent.store.get_state("outbox.rejected_events") == 1
    kiosk_events = ok(
        central.request(
            "GET", "/stats/usage", org.tokens["org_admin"], params={"group_by": "kiosk"}
        )
    )
    assert {"key": creds.kiosk_id, "count": 30} in kiosk_events["items"]


def test_heartbeat_commands_and_results(central_site, tmp_path):
    central, org = central_site
    marker = tmp_path / "rebooted"
    agent, creds = enrolled_agent(
        central,
        org,
        tmp_path,
        reboot_command=["sh", "-c", f"echo yes > {marker}"],
    )
    admin = org.tokens["org_admin"]
    reboot = ok(
        central.request(
            "POST", f"/kiosks/{creds.kiosk_id}/commands", admin, json={"type": "reboot"}
        ),
        201,
    )
    shot = ok(
        central.request(
            "POST", f"/kiosks/{creds.kiosk_id}/commands", admin, json={"type": "screenshot"}
        ),
        201,
    )
    agent.store.set_state("ui.alive", {"state": "idle", "since": "x", "at": time.time()})
    agent.store.set_state("ui.session_active", True)
    answer = agent.heartbeat()
    assert {c["id"] for c in answer["commands"]} == {reboot["id"], shot["id"]}
    kiosk = ok(central.request("GET", f"/kiosks/{creds.kiosk_id}", admin))
    assert kiosk["online"] and kiosk["health"]["ui"]["state"] == "idle"
    agent.execute_commands()
    assert not marker.exists()  # a citizen is using the kiosk: the reboot waits
    agent.store.set_state("ui.session_active", False)
    agent.execute_commands()
    assert marker.read_text().strip() == "yes"
    done = ok(central.request("GET", f"/kiosks/{creds.kiosk_id}/commands/{reboot['id']}", admin))
    assert done["status"] == "succeeded"
    # The screenshot is the UI's to do: it waits in the commands table.
    row = agent.store.db.execute("SELECT status FROM commands WHERE id = ?", [shot["id"]])
    assert row.fetchone()[0] == "received"


class FaultProxy(http.server.ThreadingHTTPServer):
    """Loopback HTTP proxy in front of central that misbehaves on request."""

    mode = "pass"

    def handle_error(self, request, client_address):
        pass  # a relay cut short by a test's fault mode is expected, not worth a traceback


def _handler(upstream: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _relay(self):
            mode = self.server.mode
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if mode == "reset":
                self.connection.shutdown(2)
                return
            if mode == "slow":
                time.sleep(30)
            if mode == "latency":
                time.sleep(0.5)
            if mode == "5xx":
                self.send_response(503)
                self.end_headers()
                return
            if mode == "garbage":
                payload = b'{"items": "not a list", "cursor": 5}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if mode == "html":
                payload = b"<html>proxy error</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            r = requests.request(
                self.command, upstream + self.path, data=body, headers=headers, timeout=30
            )
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_POST = do_PUT = _relay

    return Handler


@pytest.fixture
def proxy(central_site):
    central, _ = central_site
    server = FaultProxy(("127.0.0.1", 0), _handler(central.base))  # bound here: no race
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.mark.slow  # a slow proxy and read timeouts
def test_faults_never_corrupt_state_and_the_copy_keeps_serving(
    central_site, tmp_path, proxy, monkeypatch
):
    central, org = central_site
    monkeypatch.setattr("kiosk.agent.client.READ_TIMEOUT_S", 2.0)
    agent, _ = enrolled_agent(
        central, org, tmp_path, central_url=f"http://127.0.0.1:{proxy.server_address[1]}"
    )
    agent.sync_all()
    before = [s.id for s in catalogue.all_services(agent.store)]
    agent.outbox.add("session_started", {})
    for mode in ("5xx", "garbage", "html", "reset", "slow"):
        proxy.mode = mode
        for duty in (agent.sync.catalogue, agent.sync.config, agent.heartbeat, agent.upload_events):
            with pytest.raises(CentralUnavailable):
                duty()
        assert [s.id for s in catalogue.all_services(agent.store)] == before, mode
        assert agent.outbox.depth() == 1, mode
        assert agent.store.integrity_ok()
    proxy.mode = "latency"  # slow but working: everything still goes through
    assert agent.upload_events() == 1
    agent.heartbeat()
    agent.sync_all()


def test_central_down_is_unavailable_not_a_crash(tmp_path):
    store = StateStore(tmp_path / "state.db")
    agent = Agent(store, CentralClient(f"http://127.0.0.1:{free_port()}", "dev_x"))
    agent.outbox.add("session_started", {})
    for duty in (agent.heartbeat, agent.sync_all, agent.upload_events):
        with pytest.raises(CentralUnavailable):
            duty()
    assert agent.outbox.depth() == 1 and store.integrity_ok()


def test_run_loop_backs_off_and_recovers(central_site, tmp_path, proxy):
    central, org = central_site
    agent, creds = enrolled_agent(
        central,
        org,
        tmp_path,
        central_url=f"http://127.0.0.1:{proxy.server_address[1]}",
        heartbeat_interval_s=0.2,
    )
    proxy.mode = "5xx"
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    thread.start()
    assert wait_for(lambda: "503" in (agent.store.get_state("heartbeat.last_error") or ""), 20)
    proxy.mode = "pass"
    assert wait_for(lambda: catalogue.all_services(agent.store), 20)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert len(catalogue.all_services(agent.store)) == len(SERVICES)


WRITER = """
import sys, time
from kiosk.outbox import Outbox
from kiosk.store import StateStore
outbox = Outbox(StateStore(sys.argv[1]))
for n in range(int(sys.argv[2])):
    outbox.add("service_viewed", {"service_id": "s", "n": n})
    if n % 50 == 0:
        time.sleep(0.01)
print("done", flush=True)
"""


@pytest.mark.slow  # kills and restarts processes
def test_kill_9_agent_while_uploading_loses_nothing_and_counts_nothing_twice(
    central_site, tmp_path
):
    central, org = central_site
    agent, creds = enrolled_agent(central, org, tmp_path)
    total = 3000
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "state.db"), str(total)],
        env=env,
        stdout=subprocess.PIPE,
    )
    agent_cmd = [
        sys.executable,
        "-m",
        "kiosk.agent.cli",
        "--state-dir",
        str(tmp_path),
        "run",
        "--heartbeat-interval",
        "1",
        "--sync-interval",
        "600",
    ]
    kills = 0
    while writer.poll() is None or kills < 5:
        runner = subprocess.Popen(
            agent_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(1.2)
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        kills += 1
        if kills > 60:
            break
    assert writer.wait(60) == 0
    store = StateStore(tmp_path / "state.db")
    assert store.integrity_ok()
    Agent(store, CentralClient(central.base, creds.device_token)).drain_outbox(max_batches=100)
    assert Outbox(store).depth() == 0
    counted = ok(
        central.request(
            "GET", "/stats/usage", org.tokens["org_admin"], params={"group_by": "kiosk"}
        )
    )
    assert {"key": creds.kiosk_id, "count": total} in counted["items"]


def test_dropped_events_reach_central_in_the_heartbeat(central_site, tmp_path):
    central, org = central_site
    agent, creds = enrolled_agent(central, org, tmp_path)
    agent.outbox = Outbox(agent.store, max_events=3)
    for _ in range(5):
        agent.outbox.add("session_started", {})
    agent.heartbeat()
    kiosk = ok(central.request("GET", f"/kiosks/{creds.kiosk_id}", org.tokens["org_admin"]))
    assert kiosk["dropped_events"] == 2 and kiosk["outbox_depth"] == 3


def test_the_agent_rotates_its_token_at_half_life_and_keeps_it(central_site, tmp_path):
    from dataclasses import replace

    from sqlalchemy import update

    from central.db.engine import session_scope
    from central.db.models import Kiosk

    central, org = central_site
    agent, creds = enrolled_agent(central, org, tmp_path)
    saved = tmp_path / "credentials.json"
    agent.on_new_token = lambda token: replace(creds, device_token=token).save(saved)
    agent.heartbeat()
    assert Credentials.load(saved).device_token == creds.device_token  # not due yet
    with session_scope(central.app.state.sessions) as db:
        db.execute(
            update(Kiosk)
            .where(Kiosk.id == creds.kiosk_id)
            .values(device_token_expires_at=datetime.now(UTC) + timedelta(days=1))
        )
    agent.heartbeat()
    new_token = Credentials.load(saved).device_token
    assert new_token != creds.device_token and agent.client.device_token == new_token
    agent.heartbeat()  # the agent goes on with the new token
    assert central.request("POST", "/kiosk/heartbeat", new_token, json={}).status_code == 200


def test_plain_http_to_another_machine_is_refused_unless_insecure(tmp_path):
    from kiosk.agent.client import InsecureCentral, check_address

    assert check_address("https://central.example.fi/") == "https://central.example.fi"
    assert check_address("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert check_address("http://localhost:8000") == "http://localhost:8000"
    for bad in ("http://central.example.fi", "ftp://central.example.fi", "central.example.fi"):
        with pytest.raises(InsecureCentral):
            CentralClient(bad)
    assert CentralClient("http://10.0.0.5", insecure=True).base == "http://10.0.0.5/api/v1"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk.agent.cli",
            "--state-dir",
            str(tmp_path),
            "enrol",
            "--central",
            "http://central.example.fi",
            "--token",
            "enr_x",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "https://" in run.stderr
    assert not (tmp_path / "credentials.json").exists()


def test_a_device_fault_reaches_central_at_once_and_is_listed_as_a_fault(central_site, tmp_path):
    from devtools.waiting import wait_for
    from kiosk import device_status

    central, org = central_site
    # A long interval: only the fault's own request can make the heartbeat go now.
    agent, creds = enrolled_agent(central, org, tmp_path, heartbeat_interval_s=600)
    device_status.save(agent.store, "printer", "receipt", "online", {})
    stop = threading.Event()
    loop = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    loop.start()
    admin = org.tokens["org_admin"]

    def faults():
        kiosks = ok(central.request("GET", "/kiosks", admin))["items"]
        return next(k for k in kiosks if k["id"] == creds.kiosk_id)["faults"]

    try:
        assert wait_for(
            lambda: ok(central.request("GET", f"/kiosks/{creds.kiosk_id}", admin))["devices"], 20
        )
        assert faults() == []
        # What the UI does when the printer runs out of paper (kiosk/ui/app.py).
        device_status.save(agent.store, "printer", "receipt", "needs_attention", {"paper": "out"})
        device_status.request_report(agent.store)
        assert wait_for(lambda: faults() != [], 20)
        assert faults() == [{"kind": "printer", "name": "receipt", "state": "needs_attention"}]
    finally:
        stop.set()
        loop.join(timeout=30)


def test_the_agent_sets_space_aside_on_the_state_partition_at_its_heartbeat(central_site, tmp_path):
    """kiosk-agent run --space-reserve-mb: the reserve a full state partition gives back
    (kiosk/disk_reserve.py; the full partition itself is tested on the booted image)."""
    central, org = central_site
    agent, _ = enrolled_agent(central, org, tmp_path, space_reserve_mb=2)
    reserve = agent.store.path.parent / ".space-reserve"
    assert not reserve.exists()
    agent.heartbeat()
    assert reserve.stat().st_blocks * 512 >= 2 * 1024 * 1024
