"""The kiosks' side of the contract: enrolment, heartbeat, sync, check-ins, usage events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import JSON, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import changes, commands
from central.api.schemas import Count, errors
from central.db.models import (
    Booking,
    CheckIn,
    Command,
    CommandArtifact,
    EnrollmentToken,
    Kiosk,
    Service,
    Site,
    SiteService,
    UsageEvent,
)
from central.db.types import UTCDateTime, utcnow
from central.errors import ApiError, not_found
from central.policy import (
    DEVICE_TOKEN_PREFIX,
    Device,
    authenticate_device,
    device_for_token,
    device_token,
    get_session,
)
from central.security import new_token, token_hash
from contract import events
from contract.json_values import printable
from contract.kiosk_config import etag, kiosk_document

log = logging.getLogger("central")
router = APIRouter(tags=["kiosk"])
device_router = APIRouter(prefix="/kiosk", tags=["kiosk"], dependencies=[])

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- enrolment -------------------------------------------------------------


class EnrollIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    hardware_id: str = Field(min_length=1, max_length=128)
    hostname: str | None = Field(default=None, max_length=200)
    software_version: str | None = Field(default=None, max_length=64)


@router.post("/enroll", status_code=201, responses=errors(401, 409, 410, 422))
def enroll(body: EnrollIn, request: Request, db: Session = Depends(get_session)) -> dict[str, Any]:
    """Trade a one-time enrolment token for this kiosk's own device token.

    The same hardware id enrolled again within its organisation is the same
    kiosk (re-imaged or moved between sites) and gets a new token. A hardware
    id is no credential: presenting another organisation's kiosk's id is
    refused, and that kiosk's history, commands and screenshots stay its own.
    """
    enrollment = db.get(EnrollmentToken, token_hash(body.token.strip()))
    if enrollment is None:
        raise ApiError(401, "unknown_token", "This enrolment token is not known to central.")
    if enrollment.used_at is not None:
        raise ApiError(410, "token_used", "This enrolment token was used; ask for a new one.")
    if enrollment.expires_at <= utcnow():
        raise ApiError(410, "token_expired", "This enrolment token has expired; ask for a new one.")
    site = db.get(Site, enrollment.site_id)
    assert site is not None
    kiosk = db.scalar(select(Kiosk).where(Kiosk.hardware_id == body.hardware_id))
    if kiosk is not None and kiosk.org_id != site.org_id:
        raise ApiError(
            409,
            "enrolled_elsewhere",
            "A kiosk with this hardware id belongs to another organisation; its admin must "
            "retire it (DELETE /kiosks/{id}) before it can be enrolled here.",
        )
    if kiosk is None:
        kiosk = Kiosk(hardware_id=body.hardware_id, name=body.hostname or body.hardware_id)
        db.add(kiosk)
    elif body.hostname:
        kiosk.name = body.hostname
    settings = request.app.state.settings
    device_token = new_token(DEVICE_TOKEN_PREFIX)
    kiosk.site_id = site.id
    kiosk.org_id = site.org_id
    kiosk.device_token_hash = token_hash(device_token)
    kiosk.device_token_expires_at = utcnow() + timedelta(seconds=settings.device_token_ttl_s)
    kiosk.software_version = body.software_version
    kiosk.enrolled_at = utcnow()
    db.flush()
    enrollment.used_at = utcnow()
    enrollment.used_by_kiosk = kiosk.id
    db.commit()
    return {
        "kiosk_id": kiosk.id,
        "device_token": device_token,
        "token_expires_at": kiosk.device_token_expires_at.isoformat(),
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone},
        "config": kiosk_document(site.config, site.config_version),
    }


class TokenOut(BaseModel):
    device_token: str
    token_expires_at: str


@device_router.post("/token", response_model=TokenOut, responses=errors(401, 403))
def rotate_token(
    request: Request,
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> TokenOut:
    """A new device token for this kiosk; the one used for this call stops working at once."""
    kiosk = db.get(Kiosk, device.kiosk_id)
    assert kiosk is not None
    fresh = new_token(DEVICE_TOKEN_PREFIX)
    kiosk.device_token_hash = token_hash(fresh)
    ttl = timedelta(seconds=request.app.state.settings.device_token_ttl_s)
    kiosk.device_token_expires_at = utcnow() + ttl
    db.commit()
    return TokenOut(device_token=fresh, token_expires_at=kiosk.device_token_expires_at.isoformat())


def rotate_after(device: Device, ttl_s: int) -> datetime:
    """When the kiosk should rotate its token: half way through its life."""
    if device.token_expires_at is None:
        return utcnow()
    return device.token_expires_at - timedelta(seconds=ttl_s / 2)


# --- heartbeat and commands -------------------------------------------------


class DeviceHealth(BaseModel):
    kind: str = Field(max_length=32)
    name: str = Field(default="", max_length=100)
    state: str = Field(max_length=32)
    detail: Any = None


class UiHealth(BaseModel):
    state: str = Field(default="unknown", max_length=32)
    since: str | None = Field(default=None, max_length=40)


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


@device_router.post("/heartbeat", responses=errors(401, 403, 422))
async def heartbeat(
    request: Request, body: HeartbeatIn, token: str = Depends(device_token)
) -> dict[str, Any]:
    """The hottest path of central (10,000 kiosks every 30 s).

    All database work runs in one thread-pool hop with Core statements:
    each extra hop or ORM load showed up as a large share of its cost.
    """

    def beat() -> dict[str, Any]:
        with request.app.state.sessions() as db:
            device = device_for_token(db, token, end_read=False)  # same hop: one transaction
            answer = record_heartbeat(db, device, body)
        ttl_s = request.app.state.settings.device_token_ttl_s
        answer["token_rotate_after"] = rotate_after(device, ttl_s).isoformat()
        return answer

    return await run_in_threadpool(beat)


# Built once: constructing statements per request was a third of a heartbeat's cost.
_RECORD_HEALTH = (
    update(Kiosk)
    .where(Kiosk.id == bindparam("kiosk_id"))
    .values(
        last_seen=bindparam("now", type_=UTCDateTime()),
        software_version=bindparam("v_software_version"),
        config_version=bindparam("v_config_version"),
        outbox_depth=bindparam("v_outbox_depth"),
        dropped_events=bindparam("v_dropped_events"),
        health=bindparam("v_health", type_=JSON()),
    )
)
_SITE_CONFIG_VERSION = select(Site.config_version).where(Site.id == bindparam("site_id"))
_NO_FSYNC_WAIT = text("SET LOCAL synchronous_commit TO OFF")


def record_heartbeat(db: Session, device: Device, body: HeartbeatIn) -> dict[str, Any]:
    conn = db.connection()  # Core on the session's connection: no ORM bookkeeping
    if conn.dialect.name == "postgresql":
        # Liveness data: losing the last instant of heartbeats in a database
        # crash is harmless, so the commit need not wait for the disk.
        conn.execute(_NO_FSYNC_WAIT)
    now = utcnow()
    conn.execute(
        _RECORD_HEALTH,
        {
            "kiosk_id": device.kiosk_id,
            "now": now,
            "v_software_version": body.software_version,
            "v_config_version": body.config_version,
            "v_outbox_depth": body.outbox_depth,
            "v_dropped_events": body.dropped_events,
            "v_health": {**body.model_dump(mode="json"), "received_at": now.isoformat()},
        },
    )
    config_version = conn.execute(_SITE_CONFIG_VERSION, {"site_id": device.site_id}).scalar()
    handed_out = commands.hand_out(conn, device.kiosk_id, now)
    db.commit()
    return {
        "commands": handed_out,
        "config_version": config_version,
        "server_time": now.isoformat(),
    }


class CommandResultIn(BaseModel):
    status: Literal["succeeded", "failed"]
    detail: str | None = Field(default=None, max_length=4000)


def _own_command(db: Session, device: Device, command_id: str) -> Command:
    command = db.get(Command, command_id)
    if command is None or command.kiosk_id != device.kiosk_id:
        raise not_found("command for this kiosk")
    return command


@device_router.post("/commands/{command_id}/result", responses=errors(401, 403, 404, 409, 422))
def command_result(
    command_id: str,
    body: CommandResultIn,
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> dict[str, Any]:
    command = _own_command(db, device, command_id)
    if command.status in ("succeeded", "failed"):
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
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
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


@device_router.get("/config", responses={304: {"description": "Not modified"}, **errors(401, 403)})
def config(
    request: Request,
    response: Response,
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> Any:
    site = db.get(Site, device.site_id)
    assert site is not None
    document = kiosk_document(site.config, site.config_version)
    tag = etag(document)
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if tag in wanted or "*" in wanted:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return document


def _site(db: Session, device: Device) -> Site:
    site = db.get(Site, device.site_id)
    assert site is not None
    return site


@device_router.get("/catalogue", responses=errors(400, 401, 403, 422))
def catalogue(
    since: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=200, ge=1, le=1000),
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> dict[str, Any]:
    site = _site(db, device)

    def load(ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        rows = db.execute(
            select(Service, SiteService.position)
            .join(SiteService, SiteService.service_id == Service.id)
            .where(SiteService.site_id == site.id, Service.id.in_(ids))
        ).all()
        return {
            s.id: None
            if s.withdrawn
            else {**s.item, "position": pos, "updated_at": s.updated_at.isoformat()}
            for s, pos in rows
        }

    return changes.read(db, site, changes.SERVICE, since, limit, load).as_json()


def _start_of_today(site: Site) -> datetime:
    zone = ZoneInfo(site.timezone)
    return datetime.combine(utcnow().astimezone(zone).date(), time(), zone)


def booking_item(booking: Booking, site: Site) -> dict[str, Any]:
    """What a kiosk may know of a booking: never the plain code or a full name."""
    return {
        "id": booking.id,
        "service_id": booking.service_id,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "display_name": booking.display_name,
        "mode": booking.mode,
        "status": "checked_in" if booking.checked_in_at else "booked",
        "code_hash": booking.code_hash,
        "card_hash": booking.card_hash,
        # Each booking's own salt; bookings made before 0003 share the site's.
        "code_salt": booking.hash_salt or site.code_salt,
        "code_hash_alg": booking.hash_alg,
    }


@device_router.get("/bookings", responses=errors(400, 401, 403, 422))
def bookings(
    since: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=200, ge=1, le=1000),
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> dict[str, Any]:
    site = _site(db, device)
    today = _start_of_today(site)

    def load(ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        rows = db.scalars(select(Booking).where(Booking.id.in_(ids)))
        return {
            b.id: booking_item(b, site) if b.status != "cancelled" and b.ends_at >= today else None
            for b in rows
        }

    return changes.read(db, site, changes.BOOKING, since, limit, load).as_json()


# --- check-ins and usage events ----------------------------------------------


class CheckInIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)
    booking_id: str = Field(min_length=1, max_length=64)
    at: str = Field(max_length=40)


@device_router.post("/checkins", responses=errors(401, 403, 409, 422))
def checkin(
    body: CheckInIn,
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> dict[str, Any]:
    try:
        at = events.parse_time(body.at)
    except events.InvalidEvent as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    earlier = db.get(CheckIn, body.event_id)
    if earlier is not None:
        if earlier.kiosk_id != device.kiosk_id or earlier.booking_id != body.booking_id:
            raise ApiError(409, "conflict", "This event_id was used for another check-in.")
        return {"status": earlier.status, "booking_id": earlier.booking_id}
    booking = db.get(Booking, body.booking_id)
    if booking is None or booking.site_id != device.site_id:
        status = "unknown"
    elif booking.status == "cancelled":
        status = "cancelled"
    elif booking.checked_in_at is not None:
        status = "already_checked_in"
    else:
        status = "checked_in"
        booking.checked_in_at = at
        changes.record(db, [booking.site_id], changes.BOOKING, booking.id, deleted=False)
    db.add(
        CheckIn(
            event_id=body.event_id,
            kiosk_id=device.kiosk_id,
            booking_id=body.booking_id,
            at=at,
            status=status,
        )
    )
    db.commit()
    return {"status": status, "booking_id": body.booking_id}


class EventBatch(BaseModel):
    events: list[Any] = Field(description=f"at most {events.MAX_BATCH} events")


def _insert_ignoring_duplicates(db: Session, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Insert the batch; if the database refuses it, each row alone, so one bad row fails alone.

    Validation should leave nothing for the database to refuse; this is the
    second line, so that a kiosk's outbox is never stuck behind one event.
    """
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(UsageEvent).on_conflict_do_nothing(index_elements=["id"])
    if dialect != "postgresql":
        # SQLite enforces no lengths, and pysqlite's savepoints are unreliable (SQLAlchemy docs).
        db.execute(statement, rows)
        return []
    try:
        with db.begin_nested():
            db.execute(statement, rows)
        return []
    except DBAPIError:
        pass
    refused = []
    for row in rows:
        try:
            with db.begin_nested():
                db.execute(statement, [row])
        except DBAPIError as exc:
            log.warning("usage event %s refused by the database: %s", row["id"], exc.orig)
            refused.append({"id": row["id"], "error": "the event could not be stored"})
    return refused


@device_router.post("/events", responses=errors(401, 403, 413, 422))
def upload_events(
    body: EventBatch,
    device: Device = Depends(authenticate_device),
    db: Session = Depends(get_session),
) -> dict[str, Any]:
    if len(body.events) > events.MAX_BATCH:
        raise ApiError(
            413, "too_large", f"Send at most {events.MAX_BATCH} events a request; split the batch."
        )
    now = utcnow()
    valid: dict[str, events.ValidEvent] = {}
    rejected: list[dict[str, str]] = []
    duplicates: list[str] = []
    for raw in body.events:
        try:
            event = events.validate(raw, now)
        except events.InvalidEvent as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            rejected.append(
                {"id": printable(str(raw_id)) if raw_id is not None else "", "error": str(exc)}
            )
            continue
        if event.id in valid:
            duplicates.append(event.id)
        else:
            valid[event.id] = event
    if valid:
        known = set(db.scalars(select(UsageEvent.id).where(UsageEvent.id.in_(list(valid)))))
        duplicates.extend(i for i in valid if i in known)
        fresh = [e for i, e in valid.items() if i not in known]
        if fresh:
            refused = _insert_ignoring_duplicates(
                db,
                [
                    {
                        "id": e.id,
                        "kiosk_id": device.kiosk_id,
                        "site_id": device.site_id,
                        "org_id": device.org_id,
                        "type": e.type,
                        "at": e.at,
                        "local_day": e.local_day,
                        "session_id": e.session_id,
                        "service_id": e.service_id,
                        "data": e.data,
                        "received_at": now,
                    }
                    for e in fresh
                ],
            )
            rejected.extend(refused)
            fresh = [e for e in fresh if e.id not in {r["id"] for r in refused}]
        db.commit()
        accepted = [e.id for e in fresh]
    else:
        accepted = []
    return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}
