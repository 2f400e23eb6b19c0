"""What a site's kiosks get: enrolment tokens, configuration and catalogue selection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field

from central.access import audit
from central.access.policy import Access, allowed
from central.api.schemas import errors
from central.errors import ApiError
from central.fleet import sites
from contract.kiosk_config import kiosk_document, merge_patch

router = APIRouter(tags=["sites"])


class EnrolmentTokenIn(BaseModel):
    expires_in_s: int = Field(default=86400, ge=60, le=30 * 86400)


class EnrolmentTokenOut(BaseModel):
    token: str
    expires_at: str
    site_id: str


@router.post(
    "/sites/{site_id}/enrollment-tokens",
    status_code=201,
    response_model=EnrolmentTokenOut,
    responses=errors(401, 403, 404, 422),
)
def create_enrolment_token(
    site_id: str,
    body: EnrolmentTokenIn | None = None,
    access: Access = Depends(allowed("enrolment_token.create")),
) -> EnrolmentTokenOut:
    site = access.site(site_id)
    body = body or EnrolmentTokenIn()
    token, expires_at = sites.new_enrolment_token(
        access.db, site, access.person.user_id, body.expires_in_s
    )
    access.db.commit()
    return EnrolmentTokenOut(token=token, expires_at=expires_at.isoformat(), site_id=site.id)


@router.get("/sites/{site_id}/config", responses=errors(401, 403, 404))
def get_site_config(
    site_id: str, access: Access = Depends(allowed("site.config.write"))
) -> dict[str, Any]:
    site = access.site(site_id)
    return {
        "site": site.config,
        "kiosk": kiosk_document(site.config, site.config_version, site.name, site.timezone),
    }


@router.patch("/sites/{site_id}/config", responses=errors(400, 401, 403, 404, 413, 422))
def patch_site_config(
    site_id: str,
    request: Request,
    patch: dict[str, Any] = Body(..., description="RFC 7386 merge patch; null removes a key"),
    access: Access = Depends(allowed("site.config.write")),
) -> dict[str, Any]:
    site = access.site(site_id)
    if "version" in patch:
        raise ApiError(400, "invalid_config", "'version' is set by central; leave it out.")
    before = dict(site.config or {})
    merged = merge_patch(site.config or {}, patch)
    sites.set_config(site, merged)
    audit.record_changes(request, before, merged)
    access.db.commit()
    return kiosk_document(site.config, site.config_version, site.name, site.timezone)


class CatalogueSelection(BaseModel):
    service_ids: list[str] = Field(max_length=5000)


@router.put("/sites/{site_id}/catalogue", responses=errors(401, 403, 404, 422))
def put_site_catalogue(
    site_id: str,
    body: CatalogueSelection,
    access: Access = Depends(allowed("site.catalogue.write")),
) -> dict[str, Any]:
    site = access.site(site_id)
    wanted = sites.set_catalogue(access.db, site, body.service_ids)
    access.db.commit()
    return {"site_id": site.id, "service_ids": wanted}
