"""What the poll tests share: a central whose calls never reach media, and the statements
its requests send while a block runs (issue 36)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from devtools.central_server import RunningCentral, start_central


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
