"""A catalogue import in two steps: what it would change (new, changed, withdrawn,
unchanged, refused), then doing exactly that. The API does both at once; the console
shows the plan first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import changes, ptv
from central.db.models import Service, SiteService
from central.db.types import utcnow


@dataclass
class Step:
    kind: str  # "new", "changed", "withdrawn", "unchanged"
    item: dict[str, Any]
    withdrawn: bool
    digest: str
    # For a changed service: which top-level fields differ.
    fields: list[str] = field(default_factory=list)


@dataclass
class Plan:
    steps: list[Step]
    rejected: list[dict[str, Any]]

    def of(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]


def plan(db: Session, documents: list[Any]) -> Plan:
    steps: list[Step] = []
    rejected: list[dict[str, Any]] = []
    for index, doc in enumerate(documents):
        try:
            item, withdrawn = ptv.parse_service(doc)
        except ptv.InvalidService as exc:
            refused: dict[str, Any] = {"index": index, "error": str(exc)}
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                refused["id"] = doc["id"][:64]
            rejected.append(refused)
            continue
        digest = ptv.content_hash({"item": item, "withdrawn": withdrawn})
        service = db.get(Service, item["id"])
        if service is None:
            steps.append(Step("new", item, withdrawn, digest))
        elif service.content_hash == digest:
            steps.append(Step("unchanged", item, withdrawn, digest))
        else:
            differ = sorted(
                k
                for k in set(item) | set(service.item or {})
                if item.get(k) != (service.item or {}).get(k)
            )
            kind = "withdrawn" if withdrawn and not service.withdrawn else "changed"
            steps.append(Step(kind, item, withdrawn, digest, differ))
    return Plan(steps, rejected)


def apply(db: Session, planned: Plan) -> dict[str, Any]:
    result: dict[str, Any] = {
        "imported": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": planned.rejected,
    }
    for step in planned.steps:
        item = step.item
        if step.kind == "unchanged":
            result["unchanged"] += 1
            continue
        service = db.get(Service, item["id"])
        if service is None:
            if not item["name"]:
                item["name"] = {"fi": item["id"]}
            db.add(
                Service(
                    id=item["id"], item=item, content_hash=step.digest, withdrawn=step.withdrawn
                )
            )
            result["imported"] += 1
            continue
        if service.content_hash == step.digest:
            result["unchanged"] += 1
            continue
        if step.withdrawn and not item["name"]:
            item["name"] = service.item.get("name", {})
        service.item = item
        service.content_hash = step.digest
        service.withdrawn = step.withdrawn
        service.updated_at = utcnow()
        showing = list(
            db.scalars(select(SiteService.site_id).where(SiteService.service_id == service.id))
        )
        changes.record(db, showing, changes.SERVICE, service.id, step.withdrawn)
        result["updated"] += 1
    db.flush()
    return result
