"""Run a test body in a process of its own, for things that exist once per process.

A Kivy window can be created once per process, so each UI test gets a fresh
process. (pytest-forked cannot serialise pytest 9's reports, hence this.)
The child's traceback comes back to the parent as the test failure.
"""

from __future__ import annotations

import functools
import multiprocessing
import sys
import traceback
from collections.abc import Callable
from typing import Any

TIMEOUT_S = 300


def _report(test: Callable[..., None], args: tuple[Any, ...], send: Any) -> None:
    import faulthandler

    # A hang shows where it hangs (on stderr) before the parent gives up.
    faulthandler.dump_traceback_later(TIMEOUT_S - 20)
    try:
        test(*args)
        send.send(None)
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        send.send(traceback.format_exc())


def _run(context: Any, target: Callable[..., None], args: tuple[Any, ...]) -> None:
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_report, args=(target, args, send))
    process.start()
    send.close()
    failure = "the test process ended without a result"
    if receive.poll(TIMEOUT_S):
        try:
            failure = receive.recv()
        except EOFError:
            pass
    else:
        failure = f"the test process did not finish in {TIMEOUT_S} s"
    process.join(10)
    if process.is_alive():
        process.kill()
        process.join(5)
    if failure is not None:
        raise AssertionError(f"in the test's own process:\n{failure}")


def in_own_process(test: Callable[..., None]) -> Callable[..., None]:
    """Runs the test in a newly started interpreter (spawn). A fork would be quicker, but
    a forked child inherits every library the test process loaded: after PyAV (the video
    calls' tests) SDL's window creation hangs there. The test body stays reachable for
    pickling under another name in its module."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        _run(multiprocessing.get_context("spawn"), functools.partial(test, **kwargs), args)

    body = f"_own_process_{test.__name__}"
    test.__qualname__ = body
    setattr(sys.modules[test.__module__], body, test)
    return run


def in_fresh_process(test: Callable[..., None], *args: Any) -> None:
    """Runs a module-level `test(*args)` in a newly started interpreter (spawn), for
    libraries that do not survive a fork (Playwright, once its driver ran in this
    process). The arguments must pickle."""
    _run(multiprocessing.get_context("spawn"), test, args)
