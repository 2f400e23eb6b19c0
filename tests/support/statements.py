"""What the poll tests share: a central whose calls never reach media, the statements its
requests send while a block runs, and polling until nothing changes (issue 36)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from devtools.central_server import RunningCentral, start_central
from devtools.central_world import ok


@contextmanager
def counted(central: RunningCentral) -> Iterator[list[str]]:
    """The statements requests run while the block runs: in the threads that serve them
    (not central's periodic jobs', which run in threads of their own)."""
    statements: list[str] = []
    engine = central.app.state.sessions.kw["bind"]

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.current_thread().name.startswith("AnyIO worker thread"):
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


# A Janus that is never asked: the calls of these tests never reach their media, and an
# active call's join only names it.
NO_MEDIA = {"janus_url": "http://127.0.0.1:9/janus", "janus_admin_url": "http://127.0.0.1:9/admin"}


@contextmanager
def central_without_media(database_url: str, **settings: object) -> Iterator[RunningCentral]:
    """A central for tests of what polls cost and tell, whose calls never reach media."""
    running = start_central(database_url, **NO_MEDIA, **settings)
    try:
        yield running
    finally:
        running.stop()


def settled(ask: Callable[[str | None], Any], who: str) -> tuple[dict, str]:
    """Polls (`ask(tag)`) until the answer is 304: a tag naming a newly shown call is
    answered in full once more. The last full answer and its tag."""
    response = ask(None)
    answer, tag = ok(response), response.headers["ETag"]
    for _ in range(3):
        again = ask(tag)
        if again.status_code == 304:
            return answer, tag
        answer, tag = ok(again), again.headers["ETag"]
    raise AssertionError(f"the {who}'s answer never settled")


def changed(ask: Callable[[str | None], Any], tag: str) -> dict:
    """The answer to a poll with `tag`, which must be a full one."""
    response = ask(tag)
    assert response.status_code == 200, "a change was answered 304"
    return response.json()
