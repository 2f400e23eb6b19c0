"""The kiosk's side of video calls: ask, wait, join, chat, documents, leave.

The kiosk polls `GET /kiosk/calls/{id}` every second or two while a call is
open; each poll tells central the citizen is still there and returns the
queue place, the room to join once an official accepts, new chat lines and
the documents the official shows. docs/api.md, "A video call", walks through it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central.access.policy import Device
from central.agreements import rules
from central.api.deps import (
    DeviceDep,
    SessionDep,
    media_rooms_of,
    rooms_of,
    secret_key_of,
    settings_of,
)
from central.api.schemas import NOT_MODIFIED, errors, tagged
from central.calls import conversation, kiosk_poll, lifecycle
from central.calls.citizen_view import citizen_view, from_citizen
from central.db.models import Booking, Call, Service
from central.db.types import utcnow
from central.errors import ApiError, not_found
from central.identity import card_route
from central.identity.eid import phone_route, routes
from central.web.links import public_base
from contract import call_api
from contract.call_api import (
    OPEN_CALL,
    CallOutcome,
    CallStatus,
    IdentificationLevel,
    IdentificationMethod,
    LinkLevel,
    Speaker,
)

router = APIRouter(prefix="/kiosk", tags=["kiosk calls"])

Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class CallRequestIn(BaseModel):
    service_id: str = Field(min_length=1, max_length=64)
    language: Language
    booking_id: str | None = Field(default=None, max_length=64)


class CallEndIn(BaseModel):
    outcome: str = Field(default=CallOutcome.COMPLETED, max_length=32)


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=call_api.MAX_MESSAGE_CHARS)


def _own_call(db: Session, device: Device, call_id: str) -> Call:
    call = db.get(Call, call_id)
    if call is None or call.kiosk_id != device.kiosk_id:
        raise not_found("call of this kiosk")
    return call


@router.get(
    "/video/availability",
    response_model=call_api.VideoAvailability,
    responses=errors(401, 403, 422),
)
def video_availability(
    *,
    request: Request,
    service_id: str = Query(min_length=1, max_length=64),
    language: str = Query(pattern=r"^[a-z]{2}$"),
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """Whether someone who serves this service in this language at this service point
    (the kiosk's organisation, or a provider under an agreement) can take a call now;
    `served` false: nobody does here, by any agreement."""
    settings = settings_of(request)
    now = utcnow()
    route = rules.route_for(db, device.org_id, device.site_id, service_id, language, now)
    if route is None:
        db.commit()
        return call_api.VideoAvailability(False, 0, 0, 0, served=False)
    if not media_rooms_of(request).configured:
        return call_api.VideoAvailability(False, 0, 0, 0)
    place = lifecycle.place_for(db, route.provider_id, service_id, language, settings, now)
    db.commit()
    queued = place.position - 1
    return call_api.VideoAvailability(
        available=bool(place.officials_available)
        or (bool(place.officials_busy) and queued < 5 * place.officials_busy),
        officials_available=place.officials_available,
        queue_length=queued,
        estimated_wait_s=place.estimated_wait_s,
    )


@router.post(
    "/calls",
    status_code=201,
    response_model=call_api.KioskCall,
    responses=errors(401, 403, 404, 409, 422, 503),
)
def request_call(
    body: CallRequestIn,
    request: Request,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """The citizen asks to talk to an official (walk-in), or checked in for a remote booking.

    A kiosk has one open call at a time: an older one it left open (the UI
    restarted) ends as `replaced`.
    """
    rooms = rooms_of(request)
    if db.get(Service, body.service_id) is None:
        raise not_found("service")
    wanted = None
    if body.booking_id:
        booking = db.get(Booking, body.booking_id)
        if booking is None or booking.site_id != device.site_id:
            raise not_found("booking at this site")
        if booking.mode != "remote":
            raise ApiError(409, "not_remote", "This booking is for a visit in person.")
        wanted = booking.official_id
    route = rules.route_for(
        db, device.org_id, device.site_id, body.service_id, body.language, utcnow()
    )
    if route is None:
        raise ApiError(
            409,
            "not_served",
            "Nobody serves this service by video at this service point; "
            "the service's other channels are in its description.",
        )
    for old in db.scalars(
        select(Call).where(Call.kiosk_id == device.kiosk_id, Call.status.in_(OPEN_CALL))
    ):
        lifecycle.finish(db, old, CallOutcome.REPLACED, rooms)
    call = Call(
        org_id=device.org_id,
        provider_id=route.provider_id,
        agreement_id=route.agreement_id,
        site_id=device.site_id,
        kiosk_id=device.kiosk_id,
        service_id=body.service_id,
        language=body.language,
        booking_id=body.booking_id,
        wanted_official_id=wanted,
    )
    db.add(call)
    db.commit()
    return citizen_view(request, db, call, 0)


@router.get(
    "/calls/{call_id}",
    response_model=call_api.KioskCall,
    responses={**errors(401, 403, 404), **NOT_MODIFIED},
)
def call_state(
    *,
    call_id: str,
    request: Request,
    response: Response,
    after: int = Query(default=0, ge=0, description="Chat lines after this id"),
    link: LinkLevel | None = Query(
        default=None, description="The kiosk's link as it measures it: good, fair or poor"
    ),
    camera: bool | None = Query(default=None, description="Whether the kiosk sends video"),
    microphone: bool | None = Query(default=None, description="Whether it sends sound"),
    if_none_match: str | None = Header(default=None, max_length=2000),
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """The call as the kiosk sees it; asking is also the kiosk's "still here", and says
    how its link is (the official's desk then sends less on a poor one). Send the last
    answer's `ETag` back as `If-None-Match`: while nothing changed, `304` with no body."""
    answer = kiosk_poll.poll(
        request, db, device, call_id, after, link, camera, microphone, if_none_match
    )
    return tagged(response, *answer)


@router.post(
    "/calls/{call_id}/end", response_model=call_api.KioskCall, responses=errors(401, 403, 404, 422)
)
def end_call(
    call_id: str,
    body: CallEndIn,
    request: Request,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """The citizen leaves the queue or hangs up (or their session ended)."""
    call = _own_call(db, device, call_id)
    if body.outcome not in set(CallOutcome):
        raise ApiError(422, "invalid_input", f"outcome: one of {sorted(CallOutcome)}.")
    outcome = CallOutcome(body.outcome)
    if call.status != CallStatus.ACTIVE:
        outcome = CallOutcome.LEFT_QUEUE
    lifecycle.finish(db, call, outcome, media_rooms_of(request))
    db.commit()
    return citizen_view(request, db, call, 0)


@router.post(
    "/calls/{call_id}/messages",
    status_code=201,
    response_model=call_api.ChatLine,
    responses=errors(401, 403, 404, 409, 422),
)
def send_message(
    call_id: str,
    body: MessageIn,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    call = _own_call(db, device, call_id)
    line = conversation.add_message(db, call, Speaker.CITIZEN, body.text)
    return call_api.ChatLine(line.id, line.sender, line.text, line.at.isoformat())


BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in ("application/pdf", "image/png", "image/jpeg")
        },
    }
}


@router.post(
    "/calls/{call_id}/scans",
    status_code=201,
    response_model=call_api.DocumentRef,
    openapi_extra=BINARY_BODY,
    responses=errors(401, 403, 404, 409, 413, 415, 422),
)
async def upload_scan(
    *,
    call_id: str,
    request: Request,
    name: str | None = Query(default=None, max_length=200),
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """A page the citizen scanned during the call, for the official (PDF, PNG or JPEG)."""
    content = await request.body()

    def store() -> call_api.DocumentRef:
        # Database work off the event loop: SQLite's lock may be held by a pool thread.
        call = _own_call(db, device, call_id)
        return from_citizen(db, secret_key_of(request), call, content, name)

    return await run_in_threadpool(store)


@router.get(
    "/calls/{call_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}},
        **errors(401, 403, 404),
    },
)
def shown_document(
    call_id: str,
    document_id: str,
    request: Request,
    device: DeviceDep,
    db: SessionDep,
) -> Response:
    """A document the official shows, while the call is open."""
    call = _own_call(db, device, call_id)
    conversation.require_open(call)
    document = conversation.find_document(db, call, document_id, "to_citizen")
    content = conversation.open_document(db, secret_key_of(request), document, None)
    return Response(content, media_type=document.content_type)


@router.post(
    "/calls/{call_id}/documents/{document_id}/printed",
    response_model=call_api.DocumentRef,
    responses=errors(401, 403, 404, 409),
)
def document_printed(
    call_id: str,
    document_id: str,
    device: DeviceDep,
    db: SessionDep,
) -> Any:
    """The citizen printed the document; the official's desk shows it."""
    call = _own_call(db, device, call_id)
    document = conversation.find_document(db, call, document_id, "to_citizen")
    conversation.mark_printed(db, call, document)
    return call_api.DocumentRef(
        document.id, document.name, document.content_type, document.size, True
    )


class CardProofIn(BaseModel):
    challenge_id: str = Field(min_length=1, max_length=64)
    certificate: str = Field(min_length=1, max_length=12000, description="DER, base64")
    signature: str = Field(min_length=1, max_length=1400, description="base64")


def _base64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(422, "invalid_input", f"{name} must be base64.") from exc


@router.post(
    "/calls/{call_id}/identification/challenge",
    status_code=201,
    response_model=call_api.CardChallenge,
    responses=errors(401, 403, 404, 409),
)
def identification_challenge(call_id: str, device: DeviceDep, db: SessionDep) -> Any:
    """What the citizen's ID card signs, for this call only, within two minutes."""
    call = _own_call(db, device, call_id)
    challenge = card_route.new_challenge(db, device.kiosk_id, call, utcnow())
    db.commit()
    return call_api.CardChallenge(
        challenge_id=challenge.id,
        challenge=base64.b64encode(challenge.challenge).decode(),
        expires_at=challenge.expires_at.isoformat(),
    )


@router.post(
    "/calls/{call_id}/identification/card",
    response_model=call_api.Identified,
    responses=errors(401, 403, 404, 409, 422, 503),
)
def identification_card(
    call_id: str, body: CardProofIn, request: Request, device: DeviceDep, db: SessionDep
) -> Any:
    """The card's authentication certificate and its signature over the challenge's
    hash: checked at central (chain, revocation, signature); the call is then strongly
    identified. The kiosk learns only the name it may show."""
    call = _own_call(db, device, call_id)
    identity = card_route.prove(
        db,
        settings_of(request),
        secret_key_of(request),
        device.kiosk_id,
        call,
        body.challenge_id,
        _base64(body.certificate, "certificate"),
        _base64(body.signature, "signature"),
        utcnow(),
    )
    return call_api.Identified(
        level=IdentificationLevel.STRONG,
        method=IdentificationMethod.FINEID,
        shown_name=identity.shown_name,
    )


class PhoneIn(BaseModel):
    method: Literal[IdentificationMethod.SUOMIFI, IdentificationMethod.FTN] | None = Field(
        default=None, description="suomifi or ftn; unset: the first central offers"
    )


@router.post(
    "/calls/{call_id}/identification/phone",
    status_code=201,
    response_model=call_api.PhoneHandoff,
    responses=errors(401, 403, 404, 409, 422, 503),
)
def identification_phone(
    call_id: str, body: PhoneIn, request: Request, device: DeviceDep, db: SessionDep
) -> Any:
    """A QR code for identification by the citizen's own phone: its address opens once,
    within two minutes, for this kiosk's call only; the phone shows `short_code` too."""
    call = _own_call(db, device, call_id)
    settings = settings_of(request)
    offered = routes.methods(settings)
    method: IdentificationMethod = body.method or next(iter(offered), IdentificationMethod.SUOMIFI)
    routes.require(settings, method)
    base = public_base(request)
    row, token = phone_route.new(db, device.kiosk_id, call, method, utcnow())
    db.commit()
    return call_api.PhoneHandoff(
        handoff_id=row.id,
        address=f"{base}/eid/{token}",
        short_code=row.short_code,
        expires_at=row.expires_at.isoformat(),
        method=method,
    )


@router.get(
    "/calls/{call_id}/identification/phone/{handoff_id}",
    response_model=call_api.PhoneProgress,
    responses=errors(401, 403, 404),
)
def identification_phone_progress(
    call_id: str, handoff_id: str, request: Request, device: DeviceDep, db: SessionDep
) -> Any:
    """Where this kiosk's QR code is: waiting, opened (on a phone), identified (with the
    name the kiosk may show), refused or expired."""
    call = _own_call(db, device, call_id)
    step, shown = phone_route.for_kiosk(
        db, secret_key_of(request), device.kiosk_id, call, handoff_id, utcnow()
    )
    return call_api.PhoneProgress(step=step, shown_name=shown or None)
