"""state.db shared by the threads of one process (the UI's main loop and its device threads)."""

from __future__ import annotations

import threading

from kiosk.store import StateStore


def test_a_transaction_in_one_thread_is_not_joined_by_another(tmp_path):
    store = StateStore(tmp_path / "state.db")
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def device_thread() -> None:
        try:
            with store.transaction() as db:
                db.execute("INSERT INTO sync_state (key, value) VALUES ('printer', '\"ok\"')")
                inside.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    worker = threading.Thread(target=device_thread)
    worker.start()
    assert inside.wait(10)
    assert store.get_state("printer") is None  # not committed yet: not seen here
    release.set()
    worker.join(10)
    assert not failures
    with store.transaction() as db:  # would be "cannot start a transaction within a transaction"
        db.execute("INSERT INTO sync_state (key, value) VALUES ('ui', '1')")
    assert store.get_state("printer") == "ok" and store.get_state("ui") == 1


def test_connections_of_ended_threads_are_closed(tmp_path):
    store = StateStore(tmp_path / "state.db")
    store.set_state("n", 0)
    for _ in range(50):  # the UI starts a short device-check thread every minute
        thread = threading.Thread(target=lambda: store.get_state("n"))
        thread.start()
        thread.join()
    assert store.get_state("n") == 0
    assert len(store._open) <= 2  # this thread's and, at most, the last ended one's
