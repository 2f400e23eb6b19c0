"""Values read a moment ago, kept for a few seconds in this process: for figures that
may be that old (a queued citizen's estimated wait), never for what another instance
must see at once. Bounded, so many keys cannot grow it; safe across threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._kept: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The value kept for `key` while it is under `ttl_s` old, else `load()`'s."""
        now = time.monotonic()
        with self._lock:
            hit = self._kept.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()  # outside the lock: a slow read never holds up the others
        with self._lock:
            self._kept[key] = (now + self.ttl_s, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._kept)
