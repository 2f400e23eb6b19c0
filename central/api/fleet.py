"""The fleet as people see it: kiosks, their health and remote commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.policy import Access, allowed
from central.access.security import new_token, token_hash
from central.api.deps import settings_of
from central.api.schemas import errors
from central.db.models import Command, CommandArtifact, Kiosk, Site
from central.db.types import utcnow
from central.errors import not_found
from central.fleet import commands, fleet_status
from central.fleet.fleet_status import KioskStatus
from central.settings import Settings
from contract.device_states import FAULTS

router = APIRouter(tags=["fleet"])


def kiosk_summary(
    kiosk: Kiosk, settings: Settings, site_config: dict[str, Any] | None = None
) -> dict[str, Any]:
    status = fleet_status.status_of(
        kiosk.last_seen,
        kiosk.condition,
        utcnow(),
        fleet_status.offline_after(site_config, settings.offline_after_s),
    )
    return {
        "id": kiosk.id,
        "site_id": kiosk.site_id,
        "org_id": kiosk.org_id,
        "name": kiosk.name,
        "tags": list(kiosk.tags or []),
        "hardware_id": kiosk.hardware_id,
        "online": status not in (KioskStatus.OFFLINE, KioskStatus.NEVER_SEEN),
        "status": status.value,
        "problems": fleet_status.problems_of(kiosk.health, kiosk.outbox_depth),
        "last_seen": kiosk.last_seen.isoformat() if kiosk.last_seen else None,
        "software_version": kiosk.software_version,
        "config_version": kiosk.config_version,
        "devices": (kiosk.health or {}).get("devices", []),
        "outbox_depth": kiosk.outbox_depth,
        "dropped_events": kiosk.dropped_events,
        "retired_at": kiosk.retired_at.isoformat() if kiosk.retired_at else None,
        "faults": faults_of(kiosk),
    }


def faults_of(kiosk: Kiosk) -> list[dict[str, Any]]:
    """Devices in a state that needs a person, from the latest heartbeat.

    What the kiosk's fault screen promises ("staff have been told"): the console
    alerts on these; until it exists, `GET /kiosks` lists them.
    """
    return [
        {"kind": d.get("kind"), "name": d.get("name"), "state": d.get("state")}
        for d in (kiosk.health or {}).get("devices", [])
        if isinstance(d, dict) and d.get("state") in FAULTS
    ]


def _artifact_url(command: Command) -> str:
    return f"/api/v1/kiosks/{command.kiosk_id}/commands/{command.id}/artifact"


@router.get("/kiosks", responses=errors(401, 403))
def list_kiosks(
    request: Request,
    site_id: str | None = Query(default=None, max_length=64),
    include_retired: bool = False,
    access: Access = Depends(allowed("kiosk.read")),
) -> dict[str, Any]:
    query = (
        select(Kiosk, Site.config)
        .join(Site, Site.id == Kiosk.site_id)
        .where(access.org_filter(Kiosk.org_id))
        .order_by(Kiosk.name)
    )
    if site_id is not None:
        query = query.where(Kiosk.site_id == site_id)
    if not include_retired:
        query = query.where(Kiosk.retired_at.is_(None))
    settings = settings_of(request)
    rows = access.db.execute(query).all()
    return {"items": [kiosk_summary(k, settings, config) for k, config in rows]}


@router.get("/kiosks/{kiosk_id}", responses=errors(401, 403, 404))
def get_kiosk(
    kiosk_id: str, request: Request, access: Access = Depends(allowed("kiosk.read"))
) -> dict[str, Any]:
    kiosk = access.kiosk(kiosk_id)
    commands.expire_overdue(access.db, kiosk.id)
    access.db.commit()
    recent = access.db.scalars(
        select(Command)
        .where(Command.kiosk_id == kiosk.id)
        .order_by(Command.created_at.desc())
        .limit(20)
    )
    site = access.db.get(Site, kiosk.site_id)
    out = kiosk_summary(kiosk, settings_of(request), site.config if site else None)
    out["health"] = kiosk.health or {}
    out["recent_commands"] = [commands.as_json(c, _artifact_url(c)) for c in recent]
    return out


def revoke_device_token(kiosk: Kiosk) -> None:
    """No token hashes to a random value: the kiosk must be enrolled again."""
    kiosk.device_token_hash = token_hash(new_token("revoked"))
    kiosk.previous_token_hash = kiosk.previous_token_until = None
    kiosk.device_token_expires_at = utcnow()


@router.post("/kiosks/{kiosk_id}/revoke-token", responses=errors(401, 403, 404))
def revoke_kiosk_token(
    kiosk_id: str, request: Request, access: Access = Depends(allowed("kiosk.retire"))
) -> dict[str, Any]:
    """Lock a kiosk out at once (stolen, or its disk copied); enrolling it again lets it back."""
    kiosk = access.kiosk(kiosk_id)
    revoke_device_token(kiosk)
    access.db.commit()
    return kiosk_summary(kiosk, settings_of(request))


@router.delete("/kiosks/{kiosk_id}", responses=errors(401, 403, 404))
def retire_kiosk(
    kiosk_id: str, request: Request, access: Access = Depends(allowed("kiosk.retire"))
) -> dict[str, Any]:
    """Retire a kiosk: its token stops working, its open commands end, its history stays.

    Its hardware id is released, so the same box can be enrolled anew, in this
    organisation or another, as a new kiosk that carries none of this history.
    """
    kiosk = access.kiosk(kiosk_id)
    retire(access.db, kiosk)
    access.db.commit()
    return kiosk_summary(kiosk, settings_of(request))


def retire(db: Session, kiosk: Kiosk) -> None:
    """The one way a kiosk is retired (API and `central kiosk retire`)."""
    if kiosk.retired_at is not None:
        return
    now = utcnow()
    kiosk.retired_at = now
    kiosk.health = {**(kiosk.health or {}), "retired_hardware_id": kiosk.hardware_id}
    kiosk.hardware_id = f"retired:{kiosk.id}"
    revoke_device_token(kiosk)
    commands.expire_overdue(db, kiosk.id, now + timedelta(days=3650))


class CommandIn(BaseModel):
    type: Literal[commands.TYPES]  # type: ignore[valid-type]
    args: dict[str, Any] = Field(default_factory=dict)
    expires_in_s: int | None = Field(default=None, ge=60, le=7 * 86400)


@router.post("/kiosks/{kiosk_id}/commands", status_code=201, responses=errors(401, 403, 404, 422))
def create_command(
    kiosk_id: str,
    body: CommandIn,
    request: Request,
    access: Access = Depends(allowed("command.create")),
) -> dict[str, Any]:
    kiosk = access.kiosk(kiosk_id)
    command = commands.issue(
        access, kiosk, body.type, body.args, body.expires_in_s, settings_of(request)
    )
    access.db.commit()
    return commands.as_json(command)


@router.get("/kiosks/{kiosk_id}/commands/{command_id}", responses=errors(401, 403, 404))
def get_command(
    kiosk_id: str, command_id: str, access: Access = Depends(allowed("command.read"))
) -> dict[str, Any]:
    kiosk = access.kiosk(kiosk_id)
    commands.expire_overdue(access.db, kiosk.id)
    access.db.commit()
    command = access.command(kiosk, command_id)
    return commands.as_json(command, _artifact_url(command))


@router.get(
    "/kiosks/{kiosk_id}/commands/{command_id}/artifact",
    responses={200: {"content": {"image/png": {}}}, **errors(401, 403, 404)},
    response_class=Response,
)
def get_artifact(
    kiosk_id: str, command_id: str, access: Access = Depends(allowed("command.read"))
) -> Response:
    command = access.command(access.kiosk(kiosk_id), command_id)
    artifact = access.db.get(CommandArtifact, command.id)
    if artifact is None:
        raise not_found("artifact for this command")
    return Response(content=artifact.content, media_type=artifact.content_type)
