"""The visit from home: the citizen opens the link from their confirmation shortly before
the time, checks their camera, microphone and network, and waits in the official's
queue exactly as a citizen at a kiosk does. The call's room, TURN servers, chat and
documents are the kiosk's; instead of scanning, the citizen uploads files or photos
(same sealing, retention and rules as scans).

The link's token (central/appointments/links.py, purpose MANAGE) is the credential of
every request here: it opens this booking's call and nothing else.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.api.deps import SessionDep, media_rooms_of, secret_key_of, settings_of
from central.appointments import links
from central.book import mails
from central.calls import conversation, lifecycle
from central.calls.citizen_view import citizen_seen, citizen_view, from_citizen
from central.calls.media_pool import servers_of
from central.db.models import Booking, Call
from central.db.types import utcnow
from central.desk.page import content_security_policy
from central.errors import ApiError, not_found
from central.identity.eid import phone_route, routes
from central.visit.strings import strings_for
from central.web.attachment import content_disposition
from central.web.links import public_base
from contract import call_api
from contract.appointments import VisitPlace
from contract.call_api import (
    OPEN_CALL,
    CallOutcome,
    CallStatus,
    IdentificationMethod,
    LinkLevel,
    Speaker,
)
from contract.kiosk_api import BookingStatus

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
router = APIRouter(prefix="/visit", include_in_schema=False)
STATIC = {"visit.js": "text/javascript", "visit.css": "text/css"}
LANGUAGES = ("fi", "sv", "en")
# The queue opens this long before the booked time, and stays open this long after its end.
OPENS_BEFORE = timedelta(minutes=15)
OPEN_AFTER = timedelta(minutes=15)


def _booking(request: Request, db: Any, token: str) -> Booking:
    booking = links.booking_for(db, secret_key_of(request), links.MANAGE, token)
    if booking is None or booking.place != VisitPlace.HOME:
        raise not_found("visit")
    return booking


@router.get("/static/{name}")
def visit_static(name: str) -> Response:
    if name not in STATIC:
        return HTMLResponse("Not found", status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


@router.get("/{token}", response_class=HTMLResponse)
def visit_page(
    request: Request, db: SessionDep, token: str, lang: str = Query(default="fi", max_length=2)
) -> HTMLResponse:
    language = lang if lang in LANGUAGES else "fi"
    words = strings_for(language)
    booking = links.booking_for(db, secret_key_of(request), links.MANAGE, token)
    now = utcnow()
    state = "ready"
    what = None
    open_states = (BookingStatus.BOOKED, BookingStatus.NO_SHOW)  # no-show: late, still on time
    if booking is None or booking.place != VisitPlace.HOME or booking.status not in open_states:
        state = "gone"
    else:
        what = mails.describe(db, booking, language)
        if now > booking.ends_at + OPEN_AFTER:
            state = "gone"
        elif now < booking.starts_at - OPENS_BEFORE:
            state = "early"
    html = templates.get_template("visit.html").render(
        lang=language,
        t=words,
        words_json=json.dumps(words),
        state=state,
        what=what,
        token=token,
        languages=[code for code in LANGUAGES if code != language],
        nonce=secrets.token_urlsafe(8),
    )
    settings = settings_of(request)
    return HTMLResponse(
        html,
        status_code=404 if state == "gone" else 200,
        headers={
            "content-security-policy": content_security_policy(
                [] if settings.janus_relay else [s.url for s in servers_of(settings)]
            ),
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
        },
    )


def _open_call(db: Any, booking: Booking) -> Call | None:
    return db.scalar(
        select(Call)
        .where(Call.booking_id == booking.id, Call.status.in_(OPEN_CALL))
        .order_by(Call.created_at.desc())
    )


@router.post("/{token}/call", status_code=201, response_model=call_api.KioskCall)
def join_queue(request: Request, db: SessionDep, token: str) -> Any:
    """Into the booked official's queue (a call already open for the booking is kept:
    a reloaded page rejoins it)."""
    booking = _booking(request, db, token)
    now = utcnow()
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.NO_SHOW):
        raise ApiError(409, "booking_cancelled", "This booking is cancelled.")
    if now < booking.starts_at - OPENS_BEFORE or now > booking.ends_at + OPEN_AFTER:
        raise ApiError(
            409, "not_now", "The meeting opens 15 minutes before its time and closes after it."
        )
    if not media_rooms_of(request).configured:
        raise ApiError(503, "media_server_unavailable", "Video calls are not set up.")
    call = _open_call(db, booking)
    if call is None:
        call = Call(
            org_id=booking.org_id,
            provider_id=booking.org_id,
            site_id=None,
            kiosk_id=None,
            place=VisitPlace.HOME,
            service_id=booking.service_id,
            language=booking.language or "fi",
            booking_id=booking.id,
            wanted_official_id=booking.official_id,
        )
        db.add(call)
        if booking.checked_in_at is None:
            booking.checked_in_at = now  # arrived: the desk's list of the day shows it
        if booking.status == BookingStatus.NO_SHOW:
            booking.status = BookingStatus.BOOKED  # late, but here
        db.commit()
    return citizen_view(request, db, call, 0)


def _call(request: Request, db: Any, token: str) -> Call:
    booking = _booking(request, db, token)
    call = db.scalar(
        select(Call).where(Call.booking_id == booking.id).order_by(Call.created_at.desc())
    )
    if call is None:
        raise not_found("call of this visit")
    return call


@router.get("/{token}/call", response_model=call_api.KioskCall)
def call_state(
    request: Request,
    db: SessionDep,
    token: str,
    after: int = Query(default=0, ge=0),
    link: LinkLevel | None = Query(default=None),
    camera: bool | None = Query(default=None),
    microphone: bool | None = Query(default=None),
) -> Any:
    """The call as the citizen's browser sees it; asking is its "still here"."""
    call = _call(request, db, token)
    citizen_seen(request, db, call, link, camera, microphone)
    return citizen_view(request, db, call, after)


@router.post("/{token}/call/end", response_model=call_api.KioskCall)
def end(request: Request, db: SessionDep, token: str) -> Any:
    call = _call(request, db, token)
    if call.status != CallStatus.ENDED:
        outcome = (
            CallOutcome.COMPLETED if call.status == CallStatus.ACTIVE else CallOutcome.LEFT_QUEUE
        )
        lifecycle.finish(db, call, outcome, media_rooms_of(request))
        db.commit()
    return citizen_view(request, db, call, 0)


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=call_api.MAX_MESSAGE_CHARS)


@router.post("/{token}/call/messages", status_code=201, response_model=call_api.ChatLine)
def message(request: Request, db: SessionDep, token: str, body: MessageIn) -> Any:
    call = _call(request, db, token)
    line = conversation.add_message(db, call, Speaker.CITIZEN, body.text)
    return call_api.ChatLine(line.id, line.sender, line.text, line.at.isoformat())


@router.post("/{token}/call/uploads", status_code=201, response_model=call_api.DocumentRef)
async def upload(
    request: Request,
    db: SessionDep,
    token: str,
    name: str | None = Query(default=None, max_length=200),
) -> Any:
    """A file or photo from the citizen's device for the official (PDF, PNG or JPEG),
    sealed and kept as a kiosk's scan is."""
    content = await request.body()

    def store() -> call_api.DocumentRef:
        call = _call(request, db, token)
        return from_citizen(db, secret_key_of(request), call, content, name)

    return await run_in_threadpool(store)


class IdentifyIn(BaseModel):
    method: IdentificationMethod | None = None


@router.post("/{token}/call/identify", status_code=201)
def identify(request: Request, db: SessionDep, token: str, body: IdentifyIn) -> dict[str, str]:
    """Strong identification on this same device: the address to go to (central's
    /eid/ page, then the identity provider), which leads back to this visit. The
    identity is sealed to the call as a kiosk's would be."""
    call = _call(request, db, token)
    settings = settings_of(request)
    offered = routes.methods(settings)
    wanted = body.method or call.identification_requested or next(iter(offered), None)
    if wanted is None or wanted == IdentificationMethod.FINEID:
        wanted = next(iter(offered), IdentificationMethod.SUOMIFI)
    routes.require(settings, wanted)
    booking = _booking(request, db, token)
    # The booking stands in for the kiosk that would have shown the QR code.
    _row, handoff = phone_route.new(db, booking.id, call, wanted, utcnow(), back=f"/visit/{token}")
    db.commit()
    return {"address": f"{public_base(request)}/eid/{handoff}", "method": wanted.value}


@router.get("/{token}/call/documents/{document_id}")
def document(request: Request, db: SessionDep, token: str, document_id: str) -> Response:
    """A document the official shows, to keep: while the call is open."""
    call = _call(request, db, token)
    conversation.require_open(call)
    found = conversation.find_document(db, call, document_id, "to_citizen")
    content = conversation.open_document(db, secret_key_of(request), found, None)
    return Response(
        content,
        media_type=found.content_type,
        headers={"content-disposition": content_disposition(found.name)},
    )
