"""The agent daemon never dies of one error: a locked state.db, a full disk.

Real faults, no mocks: another connection holds state.db's write lock, and
the state directory is a small tmpfs filled to the last byte.
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from contextlib import suppress

import pytest

from devtools.builders import booking_request
from devtools.central_world import ok
from devtools.waiting import wait_for
from tests.kiosk.world import enrolled_agent

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mountpoint = tmp_path / "state"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        timeout=30,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=30)


def fill(directory):
    """Write until the disk is full; returns the file to delete to free it."""
    filler = directory / "filler"
    with open(filler, "wb") as handle, suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_the_agent_survives_a_locked_database_and_a_full_disk(central_site, small_disk):
    central, org = central_site
    agent, creds = enrolled_agent(
        central, org, small_disk, store_timeout_s=0.3, heartbeat_interval_s=1, sync_interval_s=1
    )
    store = agent.store
    agent.sync_all()
    stop = threading.Event()
    daemon = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    daemon.start()
    try:
        # 1. Another process holds state.db's write lock: "database is locked".
        blocker = sqlite3.connect(small_disk / "state.db", isolation_level=None, timeout=5)
        blocker.execute("BEGIN EXCLUSIVE")
        assert wait_for(lambda: sum(agent.scheduler.errors.values()) >= 2, 30)
        blocker.execute("ROLLBACK")
        blocker.close()
        locked_errors = sum(agent.scheduler.errors.values())

        # 2. The disk fills up while central has a new booking to sync.
        filler = fill(small_disk)
        ok(
            central.request(
                "POST",
                "/bookings",
                org.tokens["booking_system"],
                json=booking_request(org.site_id, f"full-{small_disk.parent.name}"),
            ),
            201,
        )
        assert wait_for(
            lambda: (
                agent.scheduler.errors.get("sync", 0) >= 1
                and sum(agent.scheduler.errors.values()) > locked_errors
            ),
            30,
        )
        assert daemon.is_alive()
        filler.unlink()

        # 3. Recovered: the booking arrives, and central sees what went wrong.
        assert wait_for(
            lambda: store.db.execute("SELECT count(*) FROM bookings").fetchone()[0] == 1, 30
        )

        def reported():
            kiosk = ok(central.request("GET", f"/kiosks/{creds.kiosk_id}", org.tokens["org_admin"]))
            return kiosk["health"].get("errors", {})

        assert wait_for(lambda: sum(reported().values()) >= 2, 30), reported()
        assert daemon.is_alive()
    finally:
        stop.set()
        daemon.join(timeout=30)
    assert not daemon.is_alive()
