"""The statements the requests of a running central send while a block runs: what the
poll-cost tests count (issue 36)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from devtools.central_server import RunningCentral


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
