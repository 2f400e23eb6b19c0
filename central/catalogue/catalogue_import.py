"""A catalogue import in two steps: what it would change (new, changed, withdrawn,
unchanged, refused), then doing exactly that. The API does both at once; the console
shows the plan first; a PTV sync (central/ptv/sync.py) plans what it fetched.

One bad service is refused with its index, id and the field at fault; the rest goes on.
A replay changes nothing: an item whose content hash is stored already is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import ptv
from central.access import audit
from central.catalogue import changes
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
    modified: str | None = None  # PTV's `modified`, kept for the next sync
    # For a changed service: [field, old, new] ("name.fi", channels by name), and the
    # names of the channels it would lose (a phone line or a web service gone).
    changes: list[list[Any]] = field(default_factory=list)
    lost_channels: list[str] = field(default_factory=list)


@dataclass
class Plan:
    steps: list[Step]
    rejected: list[dict[str, Any]]

    def of(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]


def _step(db: Session, item: dict[str, Any], withdrawn: bool, modified: str | None) -> Step:
    digest = ptv.content_hash({"item": item, "withdrawn": withdrawn})
    service = db.get(Service, item["id"])
    if service is None:
        return Step("new", item, withdrawn, digest, modified=modified)
    if service.content_hash == digest:
        return Step("unchanged", item, withdrawn, digest, modified=modified)
    differ = sorted(
        k for k in set(item) | set(service.item or {}) if item.get(k) != (service.item or {}).get(k)
    )
    kind = "withdrawn" if withdrawn and not service.withdrawn else "changed"
    old = service.item or {}
    return Step(
        kind,
        item,
        withdrawn,
        digest,
        differ,
        modified,
        audit.changes(_comparable(old), _comparable(item)),
        _lost_channels(old, item),
    )


def _channel_name(channel: dict[str, Any]) -> str:
    names = channel.get("name") or {}
    name = next((names[k] for k in ("fi", "sv", "en") if names.get(k)), "") or channel.get("id")
    return f"{name} ({channel.get('type')})"


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    """A service as the review compares it: channels by name, the rest as it is."""
    shown = dict(item)
    channels = shown.get("channels")
    if isinstance(channels, list):
        shown["channels"] = "; ".join(_channel_name(c) for c in channels if isinstance(c, dict))
    return shown


def _lost_channels(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    kept = {c.get("id") for c in new.get("channels") or [] if isinstance(c, dict)}
    return [
        _channel_name(c)
        for c in old.get("channels") or []
        if isinstance(c, dict) and c.get("id") not in kept
    ]


def plan(db: Session, documents: ptv.Documents | list[Any]) -> Plan:
    if isinstance(documents, list):
        documents = ptv.Documents(documents)
    steps: list[Step] = []
    rejected: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, doc in enumerate(documents.services):
        try:
            item, withdrawn = ptv.parse_service(doc, documents.channels, documents.organisations)
        except ptv.InvalidService as exc:
            refused: dict[str, Any] = {"index": index, "error": str(exc)}
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                refused["id"] = doc["id"][:64]
            rejected.append(refused)
            continue
        seen.add(item["id"])
        modified = doc.get("modified") if isinstance(doc.get("modified"), str) else None
        steps.append(_step(db, item, withdrawn, modified))
    steps += withdrawals(db, [i for i in documents.archived if i not in seen])
    return Plan(steps, rejected)


def withdrawals(db: Session, service_ids: list[str]) -> list[Step]:
    """Steps withdrawing services central shows now (archived in PTV, or gone from a full
    read of their organisation's list); unknown or already withdrawn ids are no step."""
    out = []
    for service_id in service_ids:
        service = db.get(Service, service_id)
        if service is not None and not service.withdrawn:
            out.append(_step(db, dict(service.item), True, service.ptv_modified))
    return out


def apply(db: Session, planned: Plan, ptv_organisation: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "imported": 0,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "rejected": planned.rejected,
    }
    for step in planned.steps:
        item = step.item
        service = db.get(Service, item["id"])
        if service is not None and ptv_organisation and not step.withdrawn:
            service.ptv_organisation = ptv_organisation
        if service is not None and step.modified:
            service.ptv_modified = step.modified
        if step.kind == "unchanged" or (service and service.content_hash == step.digest):
            result["unchanged"] += 1
            continue
        if service is None:
            if not item["name"]:
                item["name"] = {"und": item["id"]}
            db.add(
                Service(
                    id=item["id"],
                    item=item,
                    content_hash=step.digest,
                    withdrawn=step.withdrawn,
                    ptv_organisation=ptv_organisation,
                    ptv_modified=step.modified,
                )
            )
            result["imported"] += 1
            continue
        if step.withdrawn and not item["name"]:
            item["name"] = service.item.get("name", {})
        result["withdrawn"] += step.withdrawn and not service.withdrawn
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
