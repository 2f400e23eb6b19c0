"""Organisations, for the national admin: add one, and set its PTV id (the key that ties
its services in the national catalogue to it, and makes its PTV sync possible)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from central.console.render import render
from central.console.viewer import N_, Viewer, form_fields, viewer
from central.db.models import Kiosk, Organisation, Site
from central.errors import ApiError

router = APIRouter(include_in_schema=False)
PTV_ID_WRONG = N_(
    "A PTV id is the organisation's id in the service catalogue, like "
    "7b5f4d3c-0a2e-4f6b-9c1d-3e8a2b7c6d5f; leave it empty if it has none."
)
PTV_ID_TAKEN = N_("Another organisation already has this PTV id.")
NAME_MISSING = N_("Give the organisation's name.")


def _ptv_id(text: str) -> str | None:
    text = text.strip().lower()
    if not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise ApiError(422, "invalid_input", PTV_ID_WRONG) from exc


@router.get("/console/organisations")
def organisations_page(
    request: Request, seen: Viewer = Depends(viewer("organisation.create"))
) -> Response:
    db = seen.access.db
    sites = dict(db.execute(select(Site.org_id, func.count()).group_by(Site.org_id)).all())
    kiosks = dict(
        db.execute(
            select(Kiosk.org_id, func.count())
            .where(Kiosk.retired_at.is_(None))
            .group_by(Kiosk.org_id)
        ).all()
    )
    orgs = list(db.scalars(select(Organisation).order_by(Organisation.name)))
    db.commit()
    return render(
        request,
        seen.page,
        "organisations.html",
        orgs=orgs,
        sites=sites,
        kiosks=kiosks,
        done=request.query_params.get("done"),
    )


@router.post("/console/organisations")
def add_organisation(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("organisation.create")),
) -> Response:
    name = " ".join(fields.get("name", "").split())[:200]
    if not name:
        raise ApiError(422, "invalid_input", NAME_MISSING)
    org = Organisation(name=name, ptv_id=_ptv_id(fields.get("ptv_id", "")))
    seen.access.db.add(org)
    _commit(seen)
    return RedirectResponse(f"/console/organisations?done=added#org-{org.id}", status_code=303)


@router.post("/console/organisations/{org_id}/ptv-id")
def set_ptv_id(
    org_id: str,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("organisation.create")),
) -> Response:
    org = seen.access.org(org_id)
    org.ptv_id = _ptv_id(fields.get("ptv_id", ""))
    _commit(seen)
    return RedirectResponse(f"/console/organisations?done=saved#org-{org.id}", status_code=303)


def _commit(seen: Viewer) -> None:
    try:
        seen.access.db.commit()
    except IntegrityError as exc:
        seen.access.db.rollback()
        raise ApiError(409, "conflict", PTV_ID_TAKEN) from exc
