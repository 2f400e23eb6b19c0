"""The national expert directory: organisations any official may invite an expert from,
whether or not their own organisation has an agreement with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.policy import Access
from central.db.models import ExpertDirectoryEntry, Organisation
from central.errors import ApiError


def listing(db: Session) -> list[dict[str, Any]]:
    rows = db.execute(
        select(ExpertDirectoryEntry.org_id, Organisation.name, ExpertDirectoryEntry.note)
        .join(Organisation, Organisation.id == ExpertDirectoryEntry.org_id)
        .order_by(Organisation.name)
    )
    return [{"org_id": r.org_id, "name": r.name, "note": r.note} for r in rows]


def put(access: Access, org_id: str, note: str) -> dict[str, Any]:
    """Lists the organisation (again: with a new note)."""
    org = access.org(org_id)
    entry = access.db.get(ExpertDirectoryEntry, org.id)
    if entry is None:
        access.db.add(ExpertDirectoryEntry(org_id=org.id, note=note))
    else:
        entry.note = note
    return {"org_id": org.id, "name": org.name, "note": note}


def remove(access: Access, org_id: str) -> None:
    entry = access.db.get(ExpertDirectoryEntry, org_id)
    if entry is None:
        raise ApiError(404, "not_found", "That organisation is not in the directory.")
    access.db.delete(entry)
