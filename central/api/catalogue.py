"""Import of the national service catalogue (PTV format)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import catalogue_import, ptv
from central.api.schemas import errors
from central.errors import ApiError
from central.policy import Access, allowed
from central.request_guard import parsed_json

router = APIRouter(tags=["catalogue"])


def import_documents(db: Session, documents: list[Any]) -> dict[str, Any]:
    """Upsert services; one bad item is reported with its index and the rest goes on."""
    return catalogue_import.apply(db, catalogue_import.plan(db, documents))


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
