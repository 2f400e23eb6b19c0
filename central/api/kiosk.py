"""The kiosks' side of the contract: routes only.

The rules live in service modules: central/fleet/enrolment.py, heartbeats.py,
kiosk_sync.py, checkins.py, usage_ingest.py. The answers' shapes are the
contract's (contract/kiosk_api.py), so /openapi.json documents exactly what
kiosks read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central.access.policy import (
    Device,
    bearer_token,
    device_for_token,
    device_token,
)
from central.api.deps import DeviceDep, SessionDep, sessions_of, settings_of
from central.api.schemas import Count, errors
from central.bookings import checkins
from central.db.models import Command, CommandArtifact, Site
from central.db.types import utcnow
from central.errors import ApiError, not_found
from central.fleet import commands, enrolment, heartbeats, kiosk_sync
from central.usage import usage_ingest
from contract import events, kiosk_api
from contract.kiosk_api import FINISHED_COMMAND, CommandStatus
from contract.kiosk_config import etag, kiosk_document

router = APIRouter(tags=["kiosk"])
device_router = APIRouter(prefix="/kiosk", tags=["kiosk"], dependencies=[])

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- enrolment and the device token --------------------------------------------


class EnrolIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    hardware_id: str = Field(min_length=1, max_length=128)
    hostname: str | None = Field(default=None, max_length=200)
    software_version: str | None = Field(default=None, max_length=64)


@router.post(
    "/enroll",
    status_code=201,
    response_model=kiosk_api.Enrolment,
    responses=errors(401, 409, 410, 422),
)
def enrol(body: EnrolIn, request: Request, db: SessionDep) -> Any:
    """Trade a one-time enrolment token for this kiosk's own device token."""
    done = enrolment.enrol(
        db,
        body.token,
        body.hardware_id,
        body.hostname,
        body.software_version,
        settings_of(request).device_token_ttl_s,
    )
    expires = done.kiosk.device_token_expires_at
    return kiosk_api.Enrolment(
        kiosk_id=done.kiosk.id,
        device_token=done.device_token,
        token_expires_at=expires.isoformat() if expires else None,
        site=kiosk_api.SiteRef(done.site.id, done.site.name, done.site.timezone),
        config=kiosk_document(
            done.site.config, done.site.config_version, done.site.name, done.site.timezone
        ),
    )


@device_router.post("/token", response_model=kiosk_api.DeviceToken, responses=errors(401, 403))
def rotate_token(
    request: Request,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """A new device token for this kiosk. The one used for this call works one more hour
    (in case this answer is lost on the way); then only the new one does."""
    fresh, kiosk = enrolment.rotate_token(
        db,
        device.kiosk_id,
        bearer_token(request),
        settings_of(request).device_token_ttl_s,
    )
    expires = kiosk.device_token_expires_at
    assert expires is not None  # rotate_device_token has just set it
    return kiosk_api.DeviceToken(device_token=fresh, token_expires_at=expires.isoformat())


# --- heartbeat and commands -------------------------------------------------


class DeviceHealth(BaseModel):
    kind: str = Field(max_length=32)
    name: str = Field(default="", max_length=100)
    state: str = Field(max_length=32)
    detail: Any = None


class UiHealth(BaseModel):
    state: str = Field(default="unknown", max_length=32)
    since: str | None = Field(default=None, max_length=40)


class UpdateReport(BaseModel):
    """Where the kiosk's updater stands (kiosk/update/updater.py)."""

    version: str = Field(max_length=64)
    state: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)
    deployment: str | None = Field(default=None, max_length=36)
    at: str | None = Field(default=None, max_length=40)


class SystemHealth(BaseModel):
    """The box's security settings as the agent read them (kiosk/agent/box_security.py)."""

    root_read_only: bool | None = None
    state_mount: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=32
    )
    ssh: str | None = Field(default=None, max_length=16)
    unattended_upgrades: bool | None = None
    console_logins: bool | None = None


class HeartbeatIn(BaseModel):
    software_version: str | None = Field(default=None, max_length=64)
    config_version: Count | None = None
    uptime_s: float | None = Field(default=None, ge=0)
    outbox_depth: Count = 0
    dropped_events: Count = 0
    ui: UiHealth = Field(default_factory=UiHealth)
    devices: list[DeviceHealth] = Field(default_factory=list, max_length=50)
    disk_free_mb: float | None = Field(default=None, ge=0)
    # How often each of the agent's duties has failed since it started.
    errors: dict[Annotated[str, Field(max_length=32)], Count] = Field(
        default_factory=dict, max_length=20
    )
    update: UpdateReport | None = None
    system: SystemHealth | None = None


@device_router.post(
    "/heartbeat",
    # Documented, not re-validated: the answer is built here, and this is the hot path.
    response_model=None,
    responses={200: {"model": kiosk_api.HeartbeatAnswer}, **errors(401, 403, 422)},
)
async def heartbeat(
    request: Request, body: HeartbeatIn, token: str = Depends(device_token)
) -> dict[str, Any]:
    """All database work in one thread-pool hop: each extra hop showed up in its cost."""

    settings = settings_of(request)

    def beat() -> dict[str, Any]:
        health = body.model_dump(mode="json")
        with sessions_of(request)() as db:
            done = None
            if db.get_bind().dialect.name == "postgresql":
                # The token checked in the heartbeat's own statement: one round trip less.
                done = heartbeats.record_by_token(db, token, health, settings.update_base_url)
            if done is None:
                # SQLite, or a token that statement did not take: device_for_token says why.
                device = device_for_token(db, token, end_read=False)  # one transaction
                answer = heartbeats.record_heartbeat(db, device, health, settings.update_base_url)
            else:
                device, answer = done
        ttl_s = settings.device_token_ttl_s
        answer["token_rotate_after"] = heartbeats.rotate_after(device, ttl_s).isoformat()
        return answer

    return await run_in_threadpool(beat)


class CommandResultIn(BaseModel):
    status: Literal[CommandStatus.SUCCEEDED, CommandStatus.FAILED]
    detail: str | None = Field(default=None, max_length=4000)


def _own_command(db: Session, device: Device, command_id: str) -> Command:
    command = db.get(Command, command_id)
    if command is None or command.kiosk_id != device.kiosk_id:
        raise not_found("command for this kiosk")
    return command


@device_router.post(
    "/commands/{command_id}/result",
    response_model=kiosk_api.CommandResult,
    responses=errors(401, 403, 404, 409, 422),
)
def command_result(
    command_id: str,
    body: CommandResultIn,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    command = _own_command(db, device, command_id)
    if command.status in FINISHED_COMMAND:
        if command.status != body.status:
            raise ApiError(409, "already_finished", f"This command already {command.status}.")
    else:
        command.status = body.status
        command.detail = body.detail
        command.completed_at = utcnow()
        db.commit()
    return commands.as_json(command)


@device_router.put(
    "/commands/{command_id}/artifact",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses=errors(401, 403, 404, 413, 415, 422),
)
async def command_artifact(
    command_id: str,
    request: Request,
    device: DeviceDep,
    db: SessionDep,
) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "image/png":
        raise ApiError(415, "unsupported_media_type", "Upload the screenshot as image/png.")
    content = await request.body()
    if not content.startswith(PNG_SIGNATURE):
        raise ApiError(422, "invalid_png", "The upload is not a PNG image.")

    def store() -> dict[str, Any]:
        command = _own_command(db, device, command_id)
        artifact = db.get(CommandArtifact, command.id)
        if artifact is None:
            db.add(
                CommandArtifact(command_id=command.id, content_type="image/png", content=content)
            )
        else:
            artifact.content = content
            artifact.uploaded_at = utcnow()
        command.has_artifact = True
        db.commit()
        return {"command_id": command.id, "bytes": len(content)}

    return await run_in_threadpool(store)


# --- configuration and delta sync ------------------------------------------


def _site(db: Session, device: Device) -> Site:
    site = db.get(Site, device.site_id)
    assert site is not None
    return site


@device_router.get("/config", responses={304: {"description": "Not modified"}, **errors(401, 403)})
def config(
    request: Request,
    response: Response,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    site = _site(db, device)
    document = kiosk_document(site.config, site.config_version, site.name, site.timezone)
    tag = etag(document)
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if tag in wanted or "*" in wanted:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return document


@device_router.get(
    "/catalogue", response_model=kiosk_api.Delta, responses=errors(400, 401, 403, 422)
)
def catalogue(
    *,
    since: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=200, ge=1, le=1000),
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    return vars(kiosk_sync.catalogue_page(db, _site(db, device), since, limit))


@device_router.get(
    "/bookings", response_model=kiosk_api.BookingsDelta, responses=errors(400, 401, 403, 422)
)
def bookings(
    *,
    since: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=200, ge=1, le=1000),
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    return vars(kiosk_sync.bookings_page(db, _site(db, device), since, limit))


# --- check-ins and usage events ----------------------------------------------


class CheckInIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)
    booking_id: str = Field(min_length=1, max_length=64)
    at: str = Field(max_length=40)


@device_router.post(
    "/checkins", response_model=kiosk_api.CheckInAnswer, responses=errors(401, 403, 409, 422)
)
def checkin(
    body: CheckInIn,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    status = checkins.check_in(db, device, body.event_id, body.booking_id, body.at)
    return kiosk_api.CheckInAnswer(status=status, booking_id=body.booking_id)


class EventBatch(BaseModel):
    events: list[Any] = Field(description=f"at most {events.MAX_BATCH} events")


@device_router.post(
    "/events", response_model=kiosk_api.EventsAnswer, responses=errors(401, 403, 413, 422)
)
def upload_events(
    body: EventBatch,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    return usage_ingest.ingest(db, device, body.events)
