"""The audit log's order: newest change first by when it arrived, and its pages, on both
databases. An entry is written after its answer has gone, so two quick changes' rows may
be written in either order; the log must still show them as they came."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from central.access.audit import entries_query, older_than
from central.db.engine import session_scope
from central.db.models import AuditEntry
from central.db.types import utcnow
from devtools.central_world import add_user, ok


def test_changes_are_listed_as_they_arrived_and_paged_without_gaps(central):
    start = utcnow()
    # Written out of order: the later arrival gets the smaller id, as a slow thread would.
    with session_scope(central.app.state.sessions) as db:
        for minutes, path in [(3, "/third"), (1, "/first"), (2, "/second-a"), (2, "/second-b")]:
            db.add(
                AuditEntry(
                    at=start + timedelta(minutes=minutes),
                    via="api",
                    method="PATCH",
                    path=f"/test-order{path}",
                    status=200,
                    address="127.0.0.1",
                )
            )
    ours = AuditEntry.path.startswith("/test-order/")
    with session_scope(central.app.state.sessions) as db:
        listed = [e.path for e in db.scalars(entries_query(ours))]
        assert listed == [
            "/test-order/third",
            "/test-order/second-b",
            "/test-order/second-a",
            "/test-order/first",
        ]
        # One entry a page, each page after the last: all four, none twice.
        paged, query = [], entries_query(ours)
        while page := list(db.scalars(query.limit(1))):
            paged.append(page[0].path)
            query = older_than(entries_query(ours), db, page[0].id)
        assert paged == listed
        unknown = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) + 1000
        assert list(db.scalars(older_than(entries_query(ours), db, unknown))) == []


def test_a_real_change_is_dated_when_it_arrived(central):
    """The entry's time lies between the request's sending and its answer, and two
    changes in a row are listed newest first."""
    national = add_user(central, "national_admin", None)
    sent = utcnow()
    first = ok(central.request("POST", "/organisations", national, json={"name": "Order A"}), 201)
    answered = utcnow()
    second = ok(central.request("POST", "/organisations", national, json={"name": "Order B"}), 201)
    with session_scope(central.app.state.sessions) as db:
        for _ in range(100):  # written just after the answer (central/access/audit.py)
            rows = list(db.scalars(entries_query(AuditEntry.path.endswith("/organisations"))))
            if len(rows) >= 2:
                break
            db.rollback()
            time.sleep(0.05)
        assert [r.status for r in rows[:2]] == [201, 201]
        assert sent <= rows[1].at <= answered <= rows[0].at
    assert first["id"] != second["id"]
