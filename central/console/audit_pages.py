"""The audit log, for admins: newest first, filtered, paged by id. Read only, as the log is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from central.access.audit import entries_query, older_than, visible_to
from central.console.audit_words import describe, named
from central.console.render import render
from central.console.viewer import Viewer, viewer
from central.db.models import AuditEntry, User

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _day(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@router.get("/console/audit")
def audit_page(request: Request, seen: Viewer = Depends(viewer("audit.read"))) -> Response:
    params = request.query_params
    db = seen.access.db
    email = (params.get("user") or "").strip().lower()[:320]
    user_id = db.scalar(select(User.id).where(User.email == email)) if email else None
    since, until = _day(params.get("from")), _day(params.get("to"))
    query = entries_query(
        visible_to(seen.access),
        user_id=user_id if email else None,
        via=params.get("via") if params.get("via") in ("api", "console") else None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        path_contains=(params.get("path") or "").strip()[:100] or None,
    )
    if email and user_id is None:
        query = query.where(AuditEntry.id < 0)  # nobody by that address: nothing to show
    before = params.get("before", "")
    if before.isdigit():
        query = older_than(query, db, int(before))
    entries = list(db.scalars(query.limit(PAGE_SIZE + 1)))
    emails = dict(
        db.execute(
            select(User.id, User.email).where(User.id.in_({e.user_id for e in entries}))
        ).all()
    )
    db.commit()
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    kept = {k: v for k, v in params.items() if k != "before" and v}
    older = urlencode({**kept, "before": entries[-1].id}) if more and entries else None
    described = named(db, (describe(e.method, e.path, e.detail) for e in entries))
    db.commit()
    return render(
        request,
        seen.page,
        "audit.html",
        entries=list(zip(entries, described, strict=True)),
        emails=emails,
        filters=kept,
        older=older,
    )
