"""Keep the C library from growing a kiosk's memory over months of video calls.

Each call runs on a thread of its own, and aiortc's codecs start threads of their own;
glibc gives threads their own malloc arenas (up to 8 per core), and what a call freed
in one stays reserved there, fragmented. Measured with bench/call.py's 100 calls back
to back: RSS 328 → 1031 MiB with glibc's default; with two arenas it stays flat
(234 MiB over 12 calls, where the default had grown 82 MiB). A slightly slower malloc
under contention is nothing beside a kiosk running out of memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("kiosk")

_M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (call before threads start); False where not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError) as exc:
        log.info("malloc arenas left as they are: %s", exc)
        return False


def release_free_memory() -> None:
    """Hand memory freed by a finished call back to the system (glibc keeps it otherwise)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass
