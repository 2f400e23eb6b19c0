"""The catalogue: the services as a site's kiosks show them, and an import from a PTV file
or address that is reviewed (new, changed, withdrawn, refused) before it is applied."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from central import outbound, ptv
from central.access.policy import may
from central.api.deps import settings_of
from central.catalogue import catalogue_import, overlay
from central.console.render import render
from central.console.viewer import Viewer, form_fields, viewer
from central.db.models import (
    CatalogueDraft,
    Organisation,
    PtvSync,
    Service,
    ServiceOverlay,
    SiteService,
)
from central.db.types import utcnow
from central.errors import ApiError
from central.ptv import sync as ptv_sync

router = APIRouter(include_in_schema=False)
DRAFT_TTL = timedelta(hours=1)
FETCH_TIMEOUT_S = 30
SHOWN_PER_KIND = 200
MAX_SHOWN = 2000


@router.get("/console/catalogue")
def catalogue_page(request: Request, seen: Viewer = Depends(viewer("kiosk.read"))) -> Response:
    """A site's services as its kiosks show them (the overlay laid over PTV's data), in
    their order, or the whole catalogue; a national admin's PTV syncs."""
    db = seen.access.db
    site_id = request.query_params.get("site") or None
    sites = seen.access.choices("sites")
    own: dict[str, ServiceOverlay] = {}
    if site_id:
        site = seen.access.site(site_id)
        rows = db.execute(
            select(Service.item)
            .join(SiteService, SiteService.service_id == Service.id)
            .where(SiteService.site_id == site.id, Service.withdrawn.is_(False))
            .order_by(SiteService.position)
        ).scalars()
        items = list(rows)
        laid = overlay.overlays(db, site.id, [i["id"] for i in items])
        items = [overlay.laid_over(i, laid.get(i["id"], {})) for i in items]
        own = {
            row.service_id: row
            for row in db.scalars(select(ServiceOverlay).where(ServiceOverlay.site_id == site.id))
        }
    else:
        rows = db.scalars(select(Service.item).where(Service.withdrawn.is_(False)).limit(MAX_SHOWN))
        items = list(rows)
        items.sort(key=lambda i: ptv.service_name(i, seen.page.language).lower())
    role = seen.access.person.role
    syncs = []
    if may(role, "catalogue.sync"):
        configured = {s.organisation_id: s for s in db.scalars(select(PtvSync))}
        for org in db.scalars(select(Organisation).order_by(Organisation.name)):
            if org.id in configured or org.ptv_id:
                syncs.append((org, configured.get(org.id)))
    db.commit()
    return render(
        request,
        seen.page,
        "catalogue.html",
        items=items,
        sites=sites,
        site_id=site_id,
        may_import=may(role, "catalogue.import"),
        may_overlay=bool(site_id) and may(role, "catalogue.overlay"),
        own_overlay=own,
        syncs=syncs,
        done=request.query_params.get("done"),
    )


@router.post("/console/catalogue/ptv-sync")
def save_sync(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("catalogue.sync")),
) -> Response:
    """An organisation's PTV sync settings, checked as the API checks them."""
    db = seen.access.db
    org = seen.access.org(fields.get("org_id", ""))
    try:
        ptv_sync.configure(
            db,
            org,
            fields.get("api_base", "").strip(),
            fields.get("ptv_organisation") or None,
            enabled=fields.get("enabled") == "on",
            every_minutes=_number(fields.get("every_minutes"), 60),
            full_every_hours=_number(fields.get("full_every_hours"), 24),
            allowed_hosts=settings_of(request).outbound_hosts,
        )
    except ptv_sync.InvalidSync as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    db.commit()
    return RedirectResponse("/console/catalogue#ptv", status_code=303)


@router.post("/console/catalogue/ptv-sync/run")
def run_sync(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("catalogue.sync")),
) -> Response:
    """Sync now; the result (or PTV's problem) is shown with the organisation's settings."""
    db = seen.access.db
    org = seen.access.org(fields.get("org_id", ""))
    row = db.get(PtvSync, org.id)
    if row is None:
        raise ApiError(404, "not_found", "Save this organisation's PTV settings first.")
    ptv_sync.run(db, row, ptv_sync.client_for(row, settings_of(request)))
    return RedirectResponse("/console/catalogue#ptv", status_code=303)


@router.post("/console/catalogue/overlay")
def save_overlay(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("catalogue.overlay")),
) -> Response:
    """What this site adds to a service's PTV data: video here, the identification needed."""
    db = seen.access.db
    site = seen.access.site(fields.get("site_id", ""))
    service_id = fields.get("service_id", "")
    if db.get(Service, service_id) is None:
        raise ApiError(404, "not_found", "No such service.")
    video = {"yes": True, "no": False}.get(fields.get("remote_video", ""))
    identification = fields.get("identification") or None
    try:
        overlay.put(db, service_id, site.id, video, identification)
    except overlay.InvalidOverlay as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    db.commit()
    return RedirectResponse(f"/console/catalogue?site={site.id}#s-{service_id}", status_code=303)


def _number(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError as exc:
        raise ApiError(422, "invalid_input", "Give the intervals as whole numbers.") from exc


def _fetch(url: str, limit: int, allowed_hosts: list[str]) -> bytes:
    """A catalogue by address: public addresses only, no redirects, one deadline."""
    try:
        answer = outbound.request(
            "GET",
            url,
            headers={"accept": "application/json"},
            allowed_hosts=allowed_hosts,
            deadline_s=FETCH_TIMEOUT_S,
            max_bytes=limit,
        )
    except outbound.OutboundRefused as exc:
        raise ApiError(422, "invalid_input", f"The address cannot be used: {exc}.") from exc
    except OSError as exc:
        if "larger than" in str(exc):
            raise ApiError(
                413, "too_large", f"The catalogue may be at most {limit // 2**20} MiB."
            ) from exc
        raise ApiError(502, "fetch_failed", f"The address could not be read: {exc}") from exc
    if answer.status != 200:
        raise ApiError(502, "fetch_failed", f"The address answered {answer.status}.")
    return answer.body


@router.post("/console/catalogue/preview")
async def preview(
    request: Request,
    file: UploadFile | None = None,
    seen: Viewer = Depends(viewer("catalogue.import")),
) -> Response:
    settings = settings_of(request)
    form = await request.form()
    url = str(form.get("url") or "").strip()
    if file is not None and file.filename:
        raw, source = await file.read(), file.filename
    elif url:
        raw = await run_in_threadpool(
            _fetch, url, settings.max_import_bytes, settings.outbound_hosts
        )
        source = url
    else:
        raise ApiError(422, "invalid_input", "Choose a PTV file or give its address.")

    def review() -> Response:
        try:
            body = json.loads(raw)
            documents = ptv.read(body)
        except ValueError as exc:  # not JSON, or not a catalogue (InvalidService is one)
            raise ApiError(422, "invalid_catalogue", f"This is not a PTV catalogue: {exc}") from exc
        db = seen.access.db
        planned = catalogue_import.plan(db, documents)
        db.execute(delete(CatalogueDraft).where(CatalogueDraft.created_at < utcnow() - DRAFT_TTL))
        db.execute(
            delete(CatalogueDraft).where(CatalogueDraft.user_id == seen.access.person.user_id)
        )
        draft = CatalogueDraft(
            user_id=seen.access.person.user_id,
            source=source[:500],
            body=zlib.compress(json.dumps(body).encode()),
        )
        db.add(draft)
        db.commit()
        return render(
            request,
            seen.page,
            "catalogue_preview.html",
            planned=planned,
            draft=draft,
            source=source,
            shown=SHOWN_PER_KIND,
            language=seen.page.language,
            name=ptv.service_name,
        )

    return await run_in_threadpool(review)


@router.post("/console/catalogue/apply")
def apply(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("catalogue.import")),
) -> Response:
    """Imports the reviewed file, planned again against the catalogue as it is now."""
    db = seen.access.db
    draft = db.get(CatalogueDraft, fields.get("draft", ""))
    if (
        draft is None
        or draft.user_id != seen.access.person.user_id
        or draft.created_at < utcnow() - DRAFT_TTL
    ):
        raise ApiError(410, "gone", "This review has expired; choose the file again.")
    documents = ptv.read(json.loads(zlib.decompress(draft.body)))
    result = catalogue_import.apply(db, catalogue_import.plan(db, documents))
    db.delete(draft)
    db.commit()
    done = (
        f"{result['imported']}:{result['updated']}:{result['unchanged']}:{len(result['rejected'])}"
    )
    return RedirectResponse(f"/console/catalogue?done={done}", status_code=303)
