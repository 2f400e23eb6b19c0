"""The outbox on a real state.db file: durable, ordered, bounded with counted drops."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time

from kiosk.outbox import Outbox
from kiosk.store import StateStore


def test_events_come_back_in_order_and_leave_when_acknowledged(tmp_path):
    outbox = Outbox(StateStore(tmp_path / "state.db"))
    ids = [outbox.add("service_viewed", {"service_id": f"s{n}"}, session_id="x") for n in range(5)]
    batch = outbox.batch(3)
    assert [e.id for e in batch] == ids[:3]
    assert batch[0].as_upload()["data"] == {"service_id": "s0"}
    assert batch[0].as_upload()["session_id"] == "x"
    assert outbox.acknowledge([ids[0], ids[2], "unknown"]) == 2
    assert [e.id for e in outbox.batch()] == [ids[1], ids[3], ids[4]]
    assert outbox.depth() == 3


def test_bound_drops_oldest_and_counts_them(tmp_path):
    store = StateStore(tmp_path / "state.db")
    outbox = Outbox(store, max_events=10)
    ids = [outbox.add("search", {"query": "passi"}) for _ in range(25)]
    assert outbox.depth() == 10 and outbox.dropped() == 15
    assert [e.id for e in outbox.batch()] == ids[15:]
    # The count survives reopening the file.
    assert Outbox(StateStore(tmp_path / "state.db"), max_events=10).dropped() == 15


def _writer(path, count, ready):
    outbox = Outbox(StateStore(path))
    ready.set()
    for n in range(count):
        outbox.add("session_started", {"n": n})


def test_kill_9_while_writing_leaves_every_committed_event_and_a_sound_file(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    for _round in range(3):
        ready = ctx.Event()
        proc = ctx.Process(target=_writer, args=(path, 100_000, ready))
        proc.start()
        assert ready.wait(30)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    store = StateStore(path)
    assert store.integrity_ok()
    numbers = [e.data["n"] for e in Outbox(store).batch(1_000_000)]
    assert numbers, "the writer committed nothing before being killed"
    # Each round's events are a gap-free run from 0: nothing committed was lost.
    runs, expected = 0, 0
    for n in numbers:
        if n == 0:
            runs, expected = runs + 1, 0
        assert n == expected
        expected += 1
    assert runs == 3


def test_an_old_file_upgrades_in_place(tmp_path):
    path = tmp_path / "state.db"
    sqlite3.connect(path).close()  # an empty file at version 0
    store = StateStore(path)
    assert store.schema_version >= 1
    assert Outbox(store).depth() == 0
