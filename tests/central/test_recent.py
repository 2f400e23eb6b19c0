"""central/recent.py: a value is read again once it is older than its time, and many
keys cannot grow the store past its bound."""

from __future__ import annotations

import threading

from central.recent import Recent
from devtools.waiting import wait_for


def test_a_value_is_read_once_while_fresh_and_again_once_old():
    reads: list[str] = []

    def load() -> str:
        reads.append("read")
        return f"value {len(reads)}"

    kept: Recent[str, str] = Recent(ttl_s=0.2)
    assert kept.get("k", load) == "value 1"
    assert kept.get("k", load) == "value 1"
    assert len(reads) == 1
    assert wait_for(lambda: kept.get("k", load) == "value 2", 5)


def test_many_keys_keep_only_the_newest():
    kept: Recent[int, int] = Recent(ttl_s=60, max_entries=100)
    for n in range(1000):
        kept.get(n, lambda n=n: n)
    assert len(kept) == 100
    calls = []
    assert kept.get(999, lambda: calls.append(1) or -1) == 999 and calls == []
    assert kept.get(0, lambda: -1) == -1  # dropped long ago: read again


def test_threads_share_it_safely():
    kept: Recent[int, int] = Recent(ttl_s=60, max_entries=50)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for n in range(2000):
                assert (
                    kept.get((n + offset) % 80, lambda n=n: (n + offset) % 80) == (n + offset) % 80
                )
        except BaseException as exc:  # noqa: BLE001 - carried to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(kept) <= 50
