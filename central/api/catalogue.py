"""Import of the national service catalogue (PTV format)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import changes, ptv
from central.api.schemas import errors
from central.db.models import Service, SiteService
from central.db.types import utcnow
from central.errors import ApiError
from central.policy import Access, allowed
from central.request_guard import parsed_json

router = APIRouter(tags=["catalogue"])


def _sites_showing(db: Session, service_id: str) -> list[str]:
    return list(db.scalars(select(SiteService.site_id).where(SiteService.service_id == service_id)))


def import_documents(db: Session, documents: list[Any]) -> dict[str, Any]:
    """Upsert services; one bad item is reported with its index and the rest goes on."""
    result: dict[str, Any] = {"imported": 0, "updated": 0, "unchanged": 0, "rejected": []}
    for index, doc in enumerate(documents):
        try:
            item, withdrawn = ptv.parse_service(doc)
        except ptv.InvalidService as exc:
            rejected: dict[str, Any] = {"index": index, "error": str(exc)}
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                rejected["id"] = doc["id"][:64]
            result["rejected"].append(rejected)
            continue
        digest = ptv.content_hash({"item": item, "withdrawn": withdrawn})
        service = db.get(Service, item["id"])
        if service is None:
            if not item["name"]:
                item["name"] = {"fi": item["id"]}
            db.add(Service(id=item["id"], item=item, content_hash=digest, withdrawn=withdrawn))
            result["imported"] += 1
            continue
        if service.content_hash == digest:
            result["unchanged"] += 1
            continue
        if withdrawn and not item["name"]:
            item["name"] = service.item.get("name", {})
        service.item = item
        service.content_hash = digest
        service.withdrawn = withdrawn
        service.updated_at = utcnow()
        changes.record(db, _sites_showing(db, service.id), changes.SERVICE, service.id, withdrawn)
        result["updated"] += 1
    db.flush()
    return result


@router.post(
    "/catalogue/import",
    responses=errors(400, 401, 403, 413, 422, 429),
    summary="Import services in the PTV Open API format",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": 'PTV service list {"itemList": [...]} or one service',
            "content": {"application/json": {"schema": {}}},
        }
    },
)
async def import_catalogue(
    request: Request, access: Access = Depends(allowed("catalogue.import"))
) -> dict[str, Any]:
    """Authorised before the body is read. The request guard has parsed it (off the event
    loop when large: tens of MiB parsed there would stall every kiosk's heartbeat) and
    checked its values; this takes its result instead of parsing again."""
    try:
        body = parsed_json(request.scope)
    except KeyError:  # not sent as JSON, or not JSON: read it as the endpoint always did
        raw = await request.body()
        try:
            body = await run_in_threadpool(json.loads, raw)
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc

    def run() -> dict[str, Any]:
        try:
            documents = ptv.service_documents(body)
        except ptv.InvalidService as exc:
            raise ApiError(422, "invalid_catalogue", str(exc)) from exc
        result = import_documents(access.db, documents)
        access.db.commit()
        return result

    return await run_in_threadpool(run)
