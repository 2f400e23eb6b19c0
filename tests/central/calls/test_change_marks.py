"""Change marks count what pollers must be told of, once per transaction, and nothing a
poll itself writes ("still here"); a bulk update the session cannot see is counted by
the code that runs it."""

from __future__ import annotations

import ast
from pathlib import Path

from central.calls import change_marks
from central.db.engine import make_engine, make_session_factory, session_scope
from central.db.models import Call, CallMessage, Organisation
from central.db.types import utcnow
from tests.conftest import migrated_sqlite

ROOT = Path(__file__).resolve().parents[3]
WATCHED = {"Call", "CallParty", "CallMessage", "CallDocument", "Payment", "OfficialProfile", "User"}
# Bulk statements that need no mark, and why.
NEEDS_NONE = {
    "central/usage/retention.py": "deletes the chat and documents of calls long ended",
    "central/calls/desk_poll.py": 'writes "still here" times only',
}


def test_changes_are_counted_and_still_here_is_not(tmp_path):
    engine = make_engine(migrated_sqlite(tmp_path / "central.db"))
    sessions = make_session_factory(engine)
    with session_scope(sessions) as db:
        org = Organisation(name="Kunta")
        db.add(org)
        db.flush()
        call = Call(org_id=org.id, provider_id=org.id, service_id="s", language="fi")
        db.add(call)
    call_mark, queue_mark = change_marks.call_scope(call.id), change_marks.queue_scope(org.id)
    with session_scope(sessions) as db:
        assert change_marks.read(db, [call_mark, queue_mark]) == {call_mark: 1, queue_mark: 1}

        db.get(Call, call.id).kiosk_seen_at = utcnow()  # a poll's "still here"
    with session_scope(sessions) as db:
        assert change_marks.read(db, [call_mark])[call_mark] == 1

        db.add(CallMessage(call_id=call.id, sender="citizen", text="Hei"))
        db.flush()  # two flushes in one transaction: counted once
        db.get(Call, call.id).kiosk_link = "poor"
    with session_scope(sessions) as db:
        assert change_marks.read(db, [call_mark, queue_mark]) == {call_mark: 2, queue_mark: 2}

        db.get(Call, call.id).kiosk_link = "good"
        db.flush()
        db.rollback()  # what was rolled back is not counted
    with session_scope(sessions) as db:
        assert change_marks.read(db, [call_mark])[call_mark] == 2
    engine.dispose()


def _bulk_statements(tree: ast.AST) -> int:
    found = 0
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("update", "delete")
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in WATCHED
        ):
            found += 1
    return found


def test_every_bulk_update_of_a_watched_table_touches_its_marks():
    missing = []
    for path in sorted((ROOT / "central").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in NEEDS_NONE or "migrations" in path.parts:
            continue
        text = path.read_text()
        bulk = _bulk_statements(ast.parse(text))
        if bulk > text.count("change_marks.touch("):
            missing.append(f"{name}: {bulk} bulk statements")
    assert not missing, missing
