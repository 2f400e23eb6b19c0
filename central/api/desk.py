"""The officials' and interpreters' side of video calls (JSON), used by the desk page.

An official sees the queue of calls they may take, accepts one, shows
documents, chats, records the identification level, asks for an interpreter,
invites an expert of another organisation, and ends it. An interpreter sees the
requests for their languages, takes one, and leaves when done; an official sees
the invitations for them and joins one the same way. Only the call's own
official, and a party while joined to the active call, reach a call: anyone else
gets 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.access import audit
from central.access.policy import Access, allowed
from central.api.deps import media_rooms_of, rooms_of, secret_key_of
from central.api.kiosk_calls import BINARY_BODY, MessageIn
from central.api.schemas import NOT_MODIFIED, errors, tagged
from central.appointments import day as appointment_day
from central.calls import conversation, desk_poll, lifecycle, parties, queue
from central.calls.desk_view import (
    DeskCall,
    DeskState,
    call_view,
    names_of,
    official_of,
    officials_call,
    own_call,
    role_in,
)
from central.db.models import Call, CallDocument, CallParty, Payment, Service
from central.db.types import utcnow
from central.desk import feed
from central.errors import ApiError, not_found
from central.identity import sealed
from central.payments import charging
from central.ptv.services import service_name
from central.web.attachment import content_disposition
from contract import call_api
from contract.call_api import CallOutcome, IdentificationLevel, IdentificationMethod
from contract.payments import PaymentStatus

router = APIRouter(prefix="/desk", tags=["desk"])


class Presence(BaseModel):
    presence: Literal["available", "away"]


class InterpreterIn(BaseModel):
    language: str = Field(pattern=r"^[a-z]{2,3}$")


class ExpertIn(BaseModel):
    """Whom to invite: one official by email, or whoever serves a service in a named
    organisation (`service_id` with `organisation_id`)."""

    service_id: str | None = Field(default=None, min_length=1, max_length=64)
    organisation_id: str | None = Field(default=None, min_length=1, max_length=36)
    email: str | None = Field(default=None, min_length=3, max_length=320)


class EndIn(BaseModel):
    outcome: Literal[CallOutcome.COMPLETED, CallOutcome.FAILED, CallOutcome.OFFICIAL_LEFT] = (
        CallOutcome.COMPLETED
    )


class IdentificationIn(BaseModel):
    level: IdentificationLevel


desk_user = allowed("desk.use")


@router.get(
    "/state",
    response_model=DeskState,
    responses={**errors(401, 403), **NOT_MODIFIED},
)
def desk_state(
    request: Request,
    response: Response,
    after: int = Query(default=0, ge=0),
    if_none_match: str | None = Header(default=None, max_length=2000),
    access: Access = Depends(desk_user),
) -> Any:
    """The official's presence, the calls they may take (oldest first) and their active
    call. Polled every 2 s by the desk page; each poll keeps the official "here". Send
    the last answer's `ETag` back as `If-None-Match`: while nothing changed the answer
    is `304` with no body (and costs central a fraction of a full one)."""
    return tagged(response, *desk_poll.poll(request, access, after, if_none_match))


@router.put("/presence", response_model=Presence, responses=errors(401, 403, 422))
def set_presence(body: Presence, access: Access = Depends(desk_user)) -> Presence:
    profile = lifecycle.profile_of(access.db, access.person.user_id)
    profile.presence = body.presence
    profile.seen_at = utcnow()
    access.db.commit()
    return body


@router.post(
    "/calls/{call_id}/accept", response_model=DeskCall, responses=errors(401, 403, 404, 409, 503)
)
def accept_call(call_id: str, request: Request, access: Access = Depends(desk_user)) -> DeskCall:
    """Take a waiting call (or your own active call again, after a lost tab)."""
    me = official_of(access)
    call = access.db.get(Call, call_id)
    profile = lifecycle.profile_of(access.db, me.id)
    if call is None or not (queue.may_take(call, me, profile) or call.official_id == me.id):
        raise not_found("call you may take")
    lifecycle.accept(access.db, call, me, rooms_of(request))
    return call_view(request, access, call)


@router.get("/calls/{call_id}", response_model=DeskCall, responses=errors(401, 403, 404))
def get_call(
    call_id: str,
    request: Request,
    after: int = Query(default=0, ge=0),
    access: Access = Depends(desk_user),
) -> DeskCall:
    return call_view(request, access, own_call(access, call_id), after)


@router.post("/calls/{call_id}/end", response_model=DeskCall, responses=errors(401, 403, 404))
def end_call(
    call_id: str, body: EndIn, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    call = officials_call(access, call_id)
    lifecycle.finish(access.db, call, body.outcome, media_rooms_of(request))
    access.db.commit()
    return call_view(request, access, call)


@router.post(
    "/calls/{call_id}/interpreter",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 422),
)
def ask_for_interpreter(
    call_id: str, body: InterpreterIn, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """The official asks for an interpreter of a language; interpreters of it who are at
    their desks see the request, and the first to take it joins the call."""
    call = officials_call(access, call_id)
    parties.request_interpreter(access.db, call, body.language)
    access.db.commit()
    return call_view(request, access, call)


@router.post(
    "/interpreting/{party_id}/take",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 503),
)
def take_interpreting(
    party_id: str, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """An interpreter takes a request and joins its call (two at once: one gets 409)."""
    me = official_of(access)
    party = access.db.get(CallParty, party_id)
    profile = lifecycle.profile_of(access.db, me.id)
    call = access.db.get(Call, party.call_id) if party is not None else None
    agreement = None
    if (
        party is not None
        and call is not None
        and party.kind == "interpreter"
        and party.language in (profile.languages or [])
    ):
        agreement = parties.interpreting_agreement(access.db, me, party, call)
    if party is None or agreement is None:
        raise not_found("interpreting request for you")
    call = parties.take(access.db, party, me, rooms_of(request), agreement)
    audit.concerns(request, call.provider_id)
    access.db.commit()
    return call_view(request, access, call)


@router.post(
    "/calls/{call_id}/experts",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 422),
)
def invite_expert(
    call_id: str, body: ExpertIn, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """The official invites an official of another organisation: by email, or whoever
    serves a service. The invited see it on their desk; the first to take it joins, for
    this call only."""
    call = officials_call(access, call_id)
    parties.invite_expert(
        access.db,
        call,
        service_id=body.service_id,
        org_id=body.organisation_id,
        email=body.email,
    )
    access.db.commit()
    return call_view(request, access, call)


@router.post(
    "/invitations/{party_id}/take",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 503),
)
def take_invitation(
    party_id: str, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """An invited official joins the other organisation's call (two at once: one gets 409)."""
    me = official_of(access)
    party = access.db.get(CallParty, party_id)
    call = access.db.get(Call, party.call_id) if party is not None else None
    profile = lifecycle.profile_of(access.db, me.id)
    if party is None or call is None or not parties.may_join_as_expert(party, call, me, profile):
        raise not_found("invitation for you")
    parties.take(access.db, party, me, rooms_of(request))
    audit.concerns(request, call.provider_id)
    access.db.commit()
    return call_view(request, access, call)


@router.post("/calls/{call_id}/leave", response_model=DeskCall, responses=errors(401, 403, 404))
def leave_call(call_id: str, request: Request, access: Access = Depends(desk_user)) -> DeskCall:
    """An interpreter or expert leaves; the call goes on with the citizen and its official."""
    call = own_call(access, call_id)
    audit.concerns(request, call.provider_id)
    party = parties.joined_party(access.db, call.id, access.person.user_id)
    if party is None:
        raise not_found("call you joined")
    parties.leave(access.db, party, rooms_of(request))
    access.db.commit()
    kind = party.kind
    service_name, site_name = names_of(access.db, call)
    # Nothing of the call's content any more: the party is out of it.
    return DeskCall(
        id=call.id, status="left", outcome=None, service_id=call.service_id,
        service_name=service_name, language=call.language, site_name=site_name,
        identification=call.identification, kiosk_connected=False, accepted_at=None,
        my_role=kind,
    )  # fmt: skip


@router.put(
    "/calls/{call_id}/identification",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 422),
)
def set_identification(
    call_id: str, body: IdentificationIn, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """The identification level used (none; weak: an ID document shown to the camera).
    Stored with the call; the person's identity never is."""
    call = officials_call(access, call_id)
    conversation.require_open(call)
    if body.level == IdentificationLevel.STRONG:
        raise ApiError(
            422,
            "invalid_input",
            "Strong identification is proved, not recorded: ask the citizen for their ID "
            "card or Suomi.fi e-Identification.",
        )
    if call.identification == IdentificationLevel.STRONG:
        raise ApiError(409, "strongly_identified", "The citizen is strongly identified.")
    call.identification = body.level
    call.identification_method = (
        IdentificationMethod.DOCUMENT if body.level == IdentificationLevel.WEAK else None
    )
    access.db.commit()
    return call_view(request, access, call)


class IdentificationRequestIn(BaseModel):
    method: Literal[
        IdentificationMethod.FINEID, IdentificationMethod.SUOMIFI, IdentificationMethod.FTN
    ] = IdentificationMethod.FINEID


@router.post(
    "/calls/{call_id}/identification/request",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 422),
)
def request_identification(
    call_id: str,
    body: IdentificationRequestIn,
    request: Request,
    access: Access = Depends(desk_user),
) -> DeskCall:
    """The official asks the citizen to identify strongly (fineid: their ID card in the
    kiosk's reader; suomifi or ftn: with their own phone from the kiosk's QR code); the
    kiosk shows how at its next poll."""
    call = officials_call(access, call_id)
    conversation.require_open(call)
    if call.identification == IdentificationLevel.STRONG:
        raise ApiError(409, "strongly_identified", "The citizen is strongly identified.")
    call.identification_requested = body.method
    access.db.commit()
    return call_view(request, access, call)


class PaymentAskIn(BaseModel):
    amount_cents: int = Field(ge=1, le=99_999_999, description="Euro cents, VAT included")
    vat_basis_points: int = Field(
        default=0, ge=0, le=10_000, description="VAT in hundredths of a per cent: 2550 is 25.5 %"
    )
    reason: str = Field(min_length=1, max_length=200)


@router.post(
    "/calls/{call_id}/payments",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 422),
)
def ask_payment(
    call_id: str,
    body: PaymentAskIn,
    request: Request,
    access: Access = Depends(desk_user),
) -> DeskCall:
    """The official asks the citizen to pay (a certificate's fee, say): the kiosk shows
    the amount, the VAT and the reason to accept or decline; paid to the call's
    organisation. One open request at a time."""
    call = officials_call(access, call_id)
    conversation.require_open(call)
    if call.kiosk_id is None:
        raise ApiError(409, "no_kiosk", "A citizen at home cannot be asked to pay here yet.")
    waiting = access.db.scalar(
        select(Payment.id).where(
            Payment.call_id == call.id,
            Payment.status == PaymentStatus.OPEN,
        )
    )
    if waiting is not None:
        raise ApiError(409, "payment_waiting", "The citizen has not answered the last request.")
    charging.ask_in_call(
        access.db, call, body.amount_cents, body.vat_basis_points, body.reason.strip()
    )
    return call_view(request, access, call)


@router.get("/calls/{call_id}/identity", responses=errors(401, 403, 404))
def call_identity(
    call_id: str, request: Request, access: Access = Depends(desk_user)
) -> dict[str, Any]:
    """Who the citizen is, as strong identification proved it: for the call's own
    official only (not its interpreters or experts); every view is in the audit log of
    the call's organisation."""
    call = officials_call(access, call_id)
    audit.concerns(request, call.provider_id)
    found = sealed.identity_of(access.db, secret_key_of(request), call)
    if found is None:
        raise not_found("identity of this call (the citizen is not strongly identified)")
    return {**found, "level": call.identification.value}


@router.post(
    "/calls/{call_id}/messages",
    status_code=201,
    response_model=call_api.ChatLine,
    responses=errors(401, 403, 404, 409, 422),
)
def send_message(
    call_id: str, body: MessageIn, request: Request, access: Access = Depends(desk_user)
) -> Any:
    call = own_call(access, call_id)
    audit.concerns(request, call.provider_id)
    line = conversation.add_message(access.db, call, role_in(access, call), body.text)
    return call_api.ChatLine(line.id, line.sender, line.text, line.at.isoformat())


@router.post(
    "/calls/{call_id}/documents",
    status_code=201,
    response_model=call_api.DocumentRef,
    openapi_extra=BINARY_BODY,
    responses=errors(401, 403, 404, 409, 413, 415, 422),
)
async def show_document(
    call_id: str,
    request: Request,
    name: str | None = Query(default=None, max_length=200),
    access: Access = Depends(desk_user),
) -> Any:
    """Show the citizen a document (PDF, PNG or JPEG): the kiosk displays it page by page."""
    content = await request.body()

    def store() -> call_api.DocumentRef:
        # Database work off the event loop: SQLite's lock may be held by a pool thread.
        call = own_call(access, call_id)
        document = conversation.store_document(
            access.db,
            secret_key_of(request),
            call,
            "to_citizen",
            content,
            name,
            access.person.user_id,
        )
        return call_api.DocumentRef(
            document.id, document.name, document.content_type, document.size
        )

    return await run_in_threadpool(store)


@router.get(
    "/calls/{call_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}},
        **errors(401, 403, 404),
    },
)
def download_document(
    call_id: str, document_id: str, request: Request, access: Access = Depends(desk_user)
) -> Response:
    """A document of the call; every download is audited, also in the call's
    organisation's audit log. The citizen's scans are for the call's official only;
    what the official shows the citizen, the interpreters and experts in the call may
    download too."""
    call = own_call(access, call_id)
    document = access.db.get(CallDocument, document_id)
    if (
        document is None
        or document.call_id != call.id
        or (document.direction == "from_citizen" and call.official_id != access.person.user_id)
    ):
        raise not_found("document in this call")
    audit.concerns(request, call.provider_id)
    content = conversation.open_document(
        access.db, secret_key_of(request), document, access.person.user_id
    )
    return Response(
        content,
        media_type=document.content_type,
        headers={"content-disposition": content_disposition(document.name)},
    )


class DeskAppointment(BaseModel):
    booking_id: str
    starts_at: str
    ends_at: str
    service_id: str
    service_name: str
    place: str
    site_name: str
    language: str
    interpreter_language: str | None
    name: str
    state: str


class ServiceName(BaseModel):
    id: str
    name: str


class DeskAppointments(BaseModel):
    day: str
    items: list[DeskAppointment]
    feed_url: str
    # What the official serves, for publishing their own times (POST /appointment-calendars).
    services: list[ServiceName] = Field(default_factory=list)


@router.get("/appointments", response_model=DeskAppointments, responses=errors(401, 403, 422))
def my_appointments(
    request: Request,
    day: date | None = Query(default=None, description="A Finnish day; today if unset"),
    lang: str = Query(default="fi", pattern=r"^(fi|sv|en)$"),
    access: Access = Depends(desk_user),
) -> DeskAppointments:
    """The official's video appointments of the day and who has arrived: checked in at
    a kiosk, or waiting at home; `feed_url` is their own calendar feed (iCalendar)."""
    shown = day or utcnow().astimezone(appointment_day.HELSINKI).date()
    start, end = appointment_day.day_range(shown)
    found = appointment_day.of_official(access.db, access.person.user_id, start, end, lang)
    served = lifecycle.profile_of(access.db, access.person.user_id).services or []
    services = [
        ServiceName(id=s.id, name=service_name(s.item, lang) or s.id)
        for s in access.db.scalars(select(Service).where(Service.id.in_(served)))
    ]
    access.db.commit()
    return DeskAppointments(
        day=shown.isoformat(),
        items=[
            DeskAppointment(
                **{
                    **a.__dict__,
                    "starts_at": a.starts_at.isoformat(),
                    "ends_at": a.ends_at.isoformat(),
                    "place": a.place.value,
                }
            )
            for a in found
        ],
        feed_url=feed.url_for(request, access.person.user_id),
        services=sorted(services, key=lambda s: s.name),
    )
