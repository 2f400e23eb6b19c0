"""Deployments in the console: each release's rollout, phase by phase and kiosk by kiosk,
with pause, resume and cancel; and a new deployment to a site or a tag. The rules are
central/updates/deployments.py's, the same as the API's."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central.api.deps import settings_of
from central.console.render import render
from central.console.viewer import Viewer, form_fields, viewer
from central.db.models import Site
from central.errors import ApiError
from central.updates import deployments

router = APIRouter(include_in_schema=False)
SHOWN = 100


@router.get("/console/deployments")
def deployments_page(
    request: Request, seen: Viewer = Depends(viewer("deployment.read"))
) -> Response:
    db = seen.access.db
    shown = deployments.recent(seen.access, limit=SHOWN)
    sites = db.execute(
        select(Site.id, Site.name).where(seen.access.org_filter(Site.org_id)).order_by(Site.name)
    ).all()
    db.commit()
    releases = None
    if seen.access.may("deployment.manage"):
        try:
            releases = deployments.published_releases(settings_of(request).update_repository)
        except ApiError as exc:  # the repository cannot be read: say so, offer the field
            releases, problem = None, exc.message
        else:
            problem = ""
    else:
        problem = ""
    return render(
        request,
        seen.page,
        "deployments.html",
        deployments=shown,
        sites=sites,
        releases=releases,
        repository_problem=problem,
    )


@router.post("/console/deployments")
def create_deployment(
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("deployment.manage")),
) -> Response:
    release = fields.get("release", "").strip()
    if not release or len(release) > 64 or not release[0].isdigit():
        raise ApiError(422, "invalid_input", "Give the release's version, like 0.2.0.")
    if fields.get("site_id"):
        selector = {"site_id": fields["site_id"]}
    elif fields.get("tag", "").strip():
        selector = {"tag": fields["tag"].strip()[:40]}
    else:
        raise ApiError(422, "invalid_input", "Choose a site or give a tag.")
    made = deployments.create(
        seen.access,
        release,
        None,
        selector,
        published=deployments.published(settings_of(request).update_repository),
    )
    seen.access.db.commit()
    return RedirectResponse(f"/console/deployments/{made.id}", status_code=303)


@router.get("/console/deployments/{deployment_id}")
def deployment_page(
    deployment_id: str, request: Request, seen: Viewer = Depends(viewer("deployment.read"))
) -> Response:
    shown = deployments.as_json(seen.access.db, deployments.visible(seen.access, deployment_id))
    seen.access.db.commit()
    return render(request, seen.page, "deployment.html", deployment=shown)


@router.post("/console/deployments/{deployment_id}/{action}")
def act(
    deployment_id: str,
    action: str,
    _fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("deployment.manage")),
) -> Response:
    deployment = deployments.visible(seen.access, deployment_id)
    steps = {"pause": deployments.pause, "resume": deployments.resume, "cancel": deployments.cancel}
    if action not in steps:
        raise ApiError(404, "not_found", "No such action.")
    steps[action](seen.access.db, deployment)
    seen.access.db.commit()
    return RedirectResponse(f"/console/deployments/{deployment_id}", status_code=303)
