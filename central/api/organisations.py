"""Organisations (municipalities, agencies) and their sites (service points)."""

from __future__ import annotations

import functools
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from central.access.policy import Access, allowed
from central.api.deps import settings_of
from central.api.schemas import errors
from central.db.models import Organisation, Site
from central.errors import ApiError
from central.fleet import sites
from central.settings import Settings
from central.usage.retention import MAX_DAYS, MIN_DAYS, for_organisation

router = APIRouter(tags=["organisations"])


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    ptv_id: str | None = Field(default=None, max_length=64)
    # An interpretation service: only its interpreters interpret (the national admin's mark).
    interpretation_service: bool = False


class OrganisationOut(BaseModel):
    id: str
    name: str
    ptv_id: str | None = None
    interpretation_service: bool = False


class OrganisationPatch(BaseModel):
    interpretation_service: bool


def organisation_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        name=org.name,
        ptv_id=org.ptv_id,
        interpretation_service=bool(org.interpretation_service),
    )


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class SiteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: str = Field(default="Europe/Helsinki", max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # A lookup alone is not enough: "Europe" is a directory of zones, and opening it
        # fails with an OSError that is no ZoneInfoNotFoundError.
        if value not in known_time_zones():
            raise ValueError("must be an IANA time zone such as Europe/Helsinki")
        return value


class SiteOut(BaseModel):
    id: str
    name: str
    org_id: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    timezone: str


def site_out(site: Site) -> SiteOut:
    return SiteOut(
        id=site.id,
        name=site.name,
        org_id=site.org_id,
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
        timezone=site.timezone,
    )


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationOut,
    responses=errors(401, 403, 409, 422),
)
def create_organisation(
    body: OrganisationIn, access: Access = Depends(allowed("organisation.create"))
) -> OrganisationOut:
    org = Organisation(
        name=body.name.strip(),
        ptv_id=body.ptv_id,
        interpretation_service=body.interpretation_service,
    )
    access.db.add(org)
    try:
        access.db.commit()
    except IntegrityError as exc:
        raise ApiError(409, "conflict", "An organisation with this ptv_id exists.") from exc
    return organisation_out(org)


@router.patch(
    "/organisations/{org_id}",
    response_model=OrganisationOut,
    responses=errors(401, 403, 404, 422),
)
def change_organisation(
    org_id: str,
    body: OrganisationPatch,
    access: Access = Depends(allowed("organisation.create")),
) -> OrganisationOut:
    """The national admin marks an organisation as an interpretation service (or not).
    Unmarked, its interpreters see and take no interpretation requests."""
    org = access.org(org_id)
    org.interpretation_service = body.interpretation_service
    access.db.commit()
    return organisation_out(org)


@router.get("/organisations", responses=errors(401, 403))
def list_organisations(access: Access = Depends(allowed("kiosk.read"))) -> dict[str, Any]:
    rows = access.db.scalars(
        select(Organisation).where(access.org_filter(Organisation.id)).order_by(Organisation.name)
    )
    return {"items": [organisation_out(o) for o in rows]}


@router.post(
    "/organisations/{org_id}/sites",
    status_code=201,
    response_model=SiteOut,
    responses=errors(401, 403, 404, 422),
)
def create_site(
    org_id: str, body: SiteIn, access: Access = Depends(allowed("site.create"))
) -> SiteOut:
    org = access.org(org_id)
    site = sites.new_site(
        access.db, org, body.name, body.address, body.timezone, body.latitude, body.longitude
    )
    access.db.commit()
    return site_out(site)


@router.get("/organisations/{org_id}/sites", responses=errors(401, 403, 404))
def list_sites(org_id: str, access: Access = Depends(allowed("kiosk.read"))) -> dict[str, Any]:
    org = access.org(org_id)
    sites = access.db.scalars(select(Site).where(Site.org_id == org.id).order_by(Site.name))
    return {"items": [site_out(s) for s in sites]}


class RetentionIn(BaseModel):
    """Days to keep each kind of data; leave a field out (or null) for central's default."""

    usage_days: int | None = Field(default=None, ge=MIN_DAYS, le=MAX_DAYS)
    bookings_days: int | None = Field(default=None, ge=MIN_DAYS, le=MAX_DAYS)
    screenshots_days: int | None = Field(default=None, ge=MIN_DAYS, le=MAX_DAYS)
    # Scanned pages, shown documents and chat of video calls (personal data: short).
    call_documents_days: int | None = Field(default=None, ge=MIN_DAYS, le=MAX_DAYS)


class RetentionOut(BaseModel):
    usage_days: int
    bookings_days: int
    screenshots_days: int
    call_documents_days: int
    own: dict[str, int]


def _retention_out(org: Organisation, settings: Settings) -> RetentionOut:
    keep = for_organisation(org, settings)
    return RetentionOut(
        usage_days=keep.usage_days,
        bookings_days=keep.bookings_days,
        screenshots_days=keep.screenshots_days,
        call_documents_days=keep.call_documents_days,
        own=dict(org.retention or {}),
    )


@router.get(
    "/organisations/{org_id}/retention",
    response_model=RetentionOut,
    responses=errors(401, 403, 404),
)
def get_retention(
    org_id: str, request: Request, access: Access = Depends(allowed("retention.write"))
) -> RetentionOut:
    return _retention_out(access.org(org_id), settings_of(request))


@router.put(
    "/organisations/{org_id}/retention",
    response_model=RetentionOut,
    responses=errors(401, 403, 404, 422),
)
def put_retention(
    org_id: str,
    body: RetentionIn,
    request: Request,
    access: Access = Depends(allowed("retention.write")),
) -> RetentionOut:
    """How long this organisation's usage events, bookings and screenshots are kept."""
    org = access.org(org_id)
    org.retention = {k: v for k, v in body.model_dump().items() if v is not None}
    access.db.commit()
    return _retention_out(org, settings_of(request))
