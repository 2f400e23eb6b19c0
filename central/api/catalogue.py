"""Import of the national service catalogue (PTV format)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import ptv
from central.access.policy import Access, allowed
from central.api.deps import settings_of
from central.api.schemas import errors
from central.catalogue import catalogue_import, overlay
from central.db.models import PtvSync, Service, Site
from central.errors import ApiError
from central.ptv import sync as ptv_sync
from central.web.request_guard import parsed_json

router = APIRouter(tags=["catalogue"])


def import_documents(db: Session, documents: ptv.Documents) -> dict[str, Any]:
    """Upsert services; one bad item is reported with its index and the rest goes on."""
    result = catalogue_import.apply(db, catalogue_import.plan(db, documents))
    result.pop("withdrawn")  # counted in "updated"; the response stays as API.md has it
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
            documents = ptv.read(body)
        except ptv.InvalidService as exc:
            raise ApiError(422, "invalid_catalogue", str(exc)) from exc
        result = import_documents(access.db, documents)
        access.db.commit()
        return result

    return await run_in_threadpool(run)


# PTV sync of an organisation ---------------------------------------------------------


class PtvSyncIn(BaseModel):
    api_base: str = Field(
        min_length=8, max_length=500, description="e.g. https://api.palvelutietovaranto.suomi.fi"
    )
    ptv_organisation: str | None = Field(
        default=None, description="PTV organisation id; the organisation's ptv_id when left out"
    )
    enabled: bool = True
    every_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    full_every_hours: int = Field(default=24, ge=1, le=24 * 31)


class PtvSyncOut(BaseModel):
    organisation_id: str
    api_base: str
    ptv_organisation: str
    enabled: bool
    every_minutes: int
    full_every_hours: int
    last_run_at: str | None
    last_full_at: str | None
    last_result: dict[str, Any]


def _sync_out(row: PtvSync) -> PtvSyncOut:
    return PtvSyncOut(
        organisation_id=row.organisation_id,
        api_base=row.api_base,
        ptv_organisation=row.ptv_organisation,
        enabled=row.enabled,
        every_minutes=row.every_minutes,
        full_every_hours=row.full_every_hours,
        last_run_at=row.last_run_at.isoformat() if row.last_run_at else None,
        last_full_at=row.last_full_at.isoformat() if row.last_full_at else None,
        last_result=row.last_result or {},
    )


@router.put("/organisations/{org_id}/ptv-sync", responses=errors(401, 403, 404, 422))
def put_ptv_sync(
    org_id: str,
    body: PtvSyncIn,
    request: Request,
    access: Access = Depends(allowed("catalogue.sync")),
) -> PtvSyncOut:
    """Fetch this organisation's services from the PTV Open API on a schedule."""
    org = access.org(org_id)
    try:
        row = ptv_sync.configure(
            access.db,
            org,
            body.api_base,
            body.ptv_organisation,
            body.enabled,
            body.every_minutes,
            body.full_every_hours,
            settings_of(request).outbound_hosts,
        )
    except ptv_sync.InvalidSync as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    access.db.commit()
    return _sync_out(row)


def _sync_of(access: Access, org_id: str) -> PtvSync:
    org = access.org(org_id)
    row = access.db.get(PtvSync, org.id)
    if row is None:
        raise ApiError(404, "not_found", "This organisation has no PTV sync; PUT one first.")
    return row


@router.get("/organisations/{org_id}/ptv-sync", responses=errors(401, 403, 404))
def get_ptv_sync(org_id: str, access: Access = Depends(allowed("catalogue.sync"))) -> PtvSyncOut:
    return _sync_out(_sync_of(access, org_id))


@router.post("/organisations/{org_id}/ptv-sync/run", responses=errors(401, 403, 404, 502))
def run_ptv_sync(
    org_id: str,
    request: Request,
    full: bool = False,
    access: Access = Depends(allowed("catalogue.sync")),
) -> dict[str, Any]:
    """Sync now (a full re-read with `?full=true`); 502 with PTV's problem if it fails."""
    row = _sync_of(access, org_id)
    if full:
        row.last_full_at = None
    result = ptv_sync.run(access.db, row, ptv_sync.client_for(row, settings_of(request)))
    if "error" in result:
        raise ApiError(502, "ptv_unavailable", f"PTV could not be read: {result['error']}")
    return result


# The local overlay ---------------------------------------------------------------------


class OverlayIn(BaseModel):
    site_id: str | None = Field(default=None, description="one site; every site when left out")
    remote_video: bool | None = None
    identification: Literal["none", "booking_code", "strong"] | None = None


class OverlayOut(BaseModel):
    site_id: str | None
    remote_video: bool | None
    identification: str | None
    updated_at: str


@router.get("/services/{service_id}/overlay", responses=errors(401, 403, 404))
def get_overlay(
    service_id: str, access: Access = Depends(allowed("catalogue.overlay"))
) -> list[OverlayOut]:
    """What central adds to this service's PTV data, for every site and per site."""
    if access.db.get(Service, service_id) is None:
        raise ApiError(404, "not_found", "No such service.")
    rows = overlay.listed(access.db, service_id)
    if not access.is_national:
        own = {r["site_id"] for r in rows if r["site_id"]}
        own = {
            s.id
            for s in access.db.scalars(select(Site).where(Site.id.in_(own)))
            if access.may_touch_org(s.org_id)
        }
        rows = [r for r in rows if r["site_id"] in own]
    return [OverlayOut(**r) for r in rows]


@router.put("/services/{service_id}/overlay", responses=errors(401, 403, 404, 422))
def put_overlay(
    service_id: str, body: OverlayIn, access: Access = Depends(allowed("catalogue.overlay"))
) -> list[OverlayOut]:
    """Offered by video, identification needed: kept beside PTV's data, never overwritten
    by a sync. Both values null removes the row."""
    if access.db.get(Service, service_id) is None:
        raise ApiError(404, "not_found", "No such service.")
    if body.site_id is None and not access.is_national:
        raise ApiError(403, "forbidden", "Only a national admin sets a service for every site.")
    site_id = access.site(body.site_id).id if body.site_id else overlay.EVERY_SITE
    overlay.put(access.db, service_id, site_id, body.remote_video, body.identification)
    access.db.commit()
    return get_overlay(service_id, access)
