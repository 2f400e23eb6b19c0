"""Where a test person's identity must not be: any column of central's database but the
sealed identity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from central.db.engine import session_scope


def assert_not_in_database(sessions: Any, *needles: str) -> None:
    with session_scope(sessions) as db:
        for table in inspect(db.get_bind()).get_table_names():
            for row in db.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - our names
                for value in row:
                    if isinstance(value, str):
                        assert not any(n in value for n in needles), table
                    elif isinstance(value, bytes) and table != "call_identities":
                        assert not any(n.encode() in value for n in needles), table
