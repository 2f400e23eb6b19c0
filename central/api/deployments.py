"""Deployments of releases to kiosks, in phases (central/updates/deployments.py), and kiosk tags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from central.access import audit
from central.access.policy import Access, allowed
from central.api.deps import settings_of
from central.api.schemas import errors
from central.errors import ApiError
from central.updates import deployments

router = APIRouter(tags=["deployments"])

Id = Annotated[str, Field(max_length=64)]
TAG_PATTERN = r"^[\w .-]{1,40}$"  # also the console's (central/console/fleet_pages.py)
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=TAG_PATTERN)]


class DeploymentIn(BaseModel):
    release: str = Field(max_length=64, pattern=r"^[0-9][0-9A-Za-z.+-]*$")
    # The bundle's name in the repository; default palvelupiste-<release>.tar.
    target: str | None = Field(default=None, max_length=200, pattern=r"^[\w.+-]+$")
    organisation_id: Id | None = None
    site_id: Id | None = None
    tag: Tag | None = None
    kiosk_ids: list[Id] | None = Field(default=None, min_length=1, max_length=10000)
    error_threshold: float = Field(default=0.05, ge=0, le=1)
    success_threshold: float = Field(default=0.9, gt=0, le=1)

    @model_validator(mode="after")
    def one_target(self) -> DeploymentIn:
        given = [self.organisation_id, self.site_id, self.tag, self.kiosk_ids]
        if sum(1 for g in given if g) != 1:
            raise ValueError("name exactly one of organisation_id, site_id, tag or kiosk_ids")
        return self


class TagsIn(BaseModel):
    tags: list[Tag] = Field(max_length=20)


@router.post("/deployments", status_code=201, responses=errors(401, 403, 404, 409, 422, 503))
def create_deployment(
    body: DeploymentIn, request: Request, access: Access = Depends(allowed("deployment.manage"))
) -> dict[str, Any]:
    """Roll a published release out: the canary at once, then 10 %, then all."""
    selector = body.model_dump(include={"organisation_id", "site_id", "tag", "kiosk_ids"})
    deployment = deployments.create(
        access,
        body.release,
        body.target,
        {k: v for k, v in selector.items() if v},
        body.error_threshold,
        body.success_threshold,
        deployments.published(settings_of(request).update_repository),
    )
    access.db.commit()
    return deployments.as_json(access.db, deployment)


@router.get("/deployments", responses=errors(401, 403))
def list_deployments(access: Access = Depends(allowed("deployment.read"))) -> dict[str, Any]:
    return {"items": deployments.recent(access, limit=200)}


@router.get("/deployments/{deployment_id}", responses=errors(401, 403, 404))
def get_deployment(
    deployment_id: str, access: Access = Depends(allowed("deployment.read"))
) -> dict[str, Any]:
    """The deployment with each kiosk's state: pending, downloading, installed,
    switching, committed, rolled_back or failed, with the kiosk's reason."""
    return deployments.as_json(access.db, deployments.visible(access, deployment_id))


def _act(access: Access, deployment_id: str, action: str) -> dict[str, Any]:
    deployment = deployments.visible(access, deployment_id)
    if action == "pause":
        deployments.pause(access.db, deployment)
    elif action == "resume":
        deployments.resume(access.db, deployment)
    else:
        deployments.cancel(access.db, deployment)
    access.db.commit()
    return deployments.as_json(access.db, deployment)


@router.post("/deployments/{deployment_id}/pause", responses=errors(401, 403, 404, 409))
def pause_deployment(
    deployment_id: str, access: Access = Depends(allowed("deployment.manage"))
) -> dict[str, Any]:
    return _act(access, deployment_id, "pause")


@router.post("/deployments/{deployment_id}/resume", responses=errors(401, 403, 404, 409))
def resume_deployment(
    deployment_id: str, access: Access = Depends(allowed("deployment.manage"))
) -> dict[str, Any]:
    """Go on; the failures seen so far are acknowledged, only new ones pause it again."""
    return _act(access, deployment_id, "resume")


@router.post("/deployments/{deployment_id}/cancel", responses=errors(401, 403, 404, 409))
def cancel_deployment(
    deployment_id: str, access: Access = Depends(allowed("deployment.manage"))
) -> dict[str, Any]:
    """No kiosk is asked for the release any more; those that installed it keep it."""
    return _act(access, deployment_id, "cancel")


class KioskDetailsIn(BaseModel):
    """A kiosk's name people know it by and its labels; what is left out stays."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    tags: list[Tag] | None = Field(default=None, max_length=20)


@router.patch("/kiosks/{kiosk_id}", responses=errors(401, 403, 404, 422))
def update_kiosk(
    kiosk_id: str,
    body: KioskDetailsIn,
    request: Request,
    access: Access = Depends(allowed("kiosk.manage")),
) -> dict[str, Any]:
    """Rename a kiosk ("Lobby, left") or set its tags."""
    kiosk = access.kiosk(kiosk_id)
    before = {"name": kiosk.name, "tags": list(kiosk.tags or [])}
    if body.name is not None:
        name = " ".join(body.name.split())
        if not name:
            raise ApiError(422, "invalid_input", "A kiosk's name cannot be empty.")
        kiosk.name = name
    if body.tags is not None:
        kiosk.tags = sorted(set(body.tags))
    audit.record_changes(request, before, {"name": kiosk.name, "tags": kiosk.tags})
    access.db.commit()
    return {"kiosk_id": kiosk.id, "name": kiosk.name, "tags": kiosk.tags}


@router.put("/kiosks/{kiosk_id}/tags", responses=errors(401, 403, 404, 422))
def set_kiosk_tags(
    kiosk_id: str, body: TagsIn, access: Access = Depends(allowed("kiosk.manage"))
) -> dict[str, Any]:
    """Labels for deploying to a group of kiosks ("pilot", "lobby")."""
    kiosk = access.kiosk(kiosk_id)
    kiosk.tags = sorted(set(body.tags))
    access.db.commit()
    return {"kiosk_id": kiosk.id, "tags": kiosk.tags}
