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

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from central import audit
from central.api.kiosk_calls import BINARY_BODY, MessageIn, rooms_of
from central.api.schemas import errors
from central.attachment import content_disposition
from central.calls import conversation, janus_relay, lifecycle, parties
from central.calls.media_server import participant_token
from central.calls.turn import ice_servers
from central.db.models import Call, CallDocument, CallParty, Organisation, Service, Site, User
from central.db.types import utcnow
from central.errors import not_found
from central.policy import Access, allowed
from contract import call_api
from contract.call_api import CallOutcome, CallStatus, IdentificationLevel, Speaker
from contract.roles import Role

router = APIRouter(prefix="/desk", tags=["desk"])


class Presence(BaseModel):
    presence: Literal["available", "away"]


class Waiting(BaseModel):
    call_id: str
    service_id: str
    service_name: str
    language: str
    site_name: str
    waited_s: int
    booked: bool
    for_me: bool


class InterpreterRequest(BaseModel):
    """A call that needs an interpreter of `language` (the call's own is `call_language`)."""

    party_id: str
    language: str
    call_language: str
    service_name: str
    waited_s: int


class ExpertInvitation(BaseModel):
    """A call of another organisation whose official invites this official, by name
    (`for_me`) or for a service they serve (`service_name` of the invitation)."""

    party_id: str
    organisation: str
    service_name: str
    call_language: str
    for_me: bool
    waited_s: int


class ExpertService(BaseModel):
    """A service another organisation's officials serve: one can be invited for it."""

    service_id: str
    name: str
    organisation: str
    organisation_id: str


class Party(BaseModel):
    kind: str
    language: str | None
    status: str
    # expert: the organisation of who joined, and what they were invited for
    organisation: str | None = None
    service_id: str | None = None


class DeskCall(BaseModel):
    id: str
    status: str
    outcome: str | None
    service_id: str
    service_name: str
    language: str
    site_name: str
    identification: str
    kiosk_connected: bool
    accepted_at: str | None
    # The citizen's link as the kiosk measures it: good, fair or poor.
    kiosk_link: str = "good"
    join: dict[str, Any] | None = None
    # What the person at this desk is in the call: its official, or an interpreter.
    my_role: str = "official"
    parties: list[Party] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    documents: list[dict[str, Any]] = Field(default_factory=list)


class DeskState(BaseModel):
    role: str = Role.OFFICIAL
    presence: str
    services: list[str]
    languages: list[str]
    waiting: list[Waiting]
    interpreting: list[InterpreterRequest] = Field(default_factory=list)
    invitations: list[ExpertInvitation] = Field(default_factory=list)
    # While the official is in a call of their own: whom they could invite as an expert.
    expert_services: list[ExpertService] = Field(default_factory=list)
    active: DeskCall | None


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


def _names(db: Session, call: Call) -> tuple[str, str]:
    site = db.get(Site, call.site_id)
    return _service_name(db, call.service_id, call.language), site.name if site else ""


def _official(access: Access) -> User:
    user = access.db.get(User, access.person.user_id)
    assert user is not None  # the token was just checked
    return user


def own_call(access: Access, call_id: str) -> Call:
    """The official's own call, or the active call a party has joined; any other call
    (or none, or one a party has left) is 404."""
    call = access.db.get(Call, call_id)
    me = access.person.user_id
    if call is not None and call.official_id == me:
        return call
    if (
        call is not None
        and call.status == CallStatus.ACTIVE
        and parties.joined_party(access.db, call.id, me) is not None
    ):
        return call
    raise not_found("call of yours")


def role_in(access: Access, call: Call) -> Speaker:
    """What the caller is in their call: its official, or the kind of party they joined as."""
    me = access.person.user_id
    party = None if call.official_id == me else parties.joined_party(access.db, call.id, me)
    return Speaker(party.kind) if party is not None else Speaker.OFFICIAL


def officials_call(access: Access, call_id: str) -> Call:
    """The call whose official the caller is (what only the official does)."""
    call = own_call(access, call_id)
    if call.official_id != access.person.user_id:
        raise not_found("call of yours")
    return call


def _org_shown(party: CallParty) -> bool:
    """An expert's organisation: the one an invitation by service names, or the one of
    who joined. Never that of a person invited by email who has not joined: it would
    tell whose address it is (and that it is an official's)."""
    return party.kind == "expert" and (party.joined_at is not None or party.service_id is not None)


def _organisation_name(db: Session, org_id: str | None) -> str | None:
    org = db.get(Organisation, org_id) if org_id else None
    return org.name if org else None


def _service_name(db: Session, service_id: str, language: str) -> str:
    service = db.get(Service, service_id)
    names = (service.item.get("name") or {}) if service is not None else {}
    return names.get(language) or names.get("fi") or next(iter(names.values()), "") or service_id


def _expert_services(db: Session, me: User, language: str) -> list[ExpertService]:
    organisations: dict[str, str] = {}
    found = []
    for service_id, org_id in parties.expert_services(db, me.org_id or ""):
        if org_id not in organisations:
            organisations[org_id] = _organisation_name(db, org_id) or ""
        name = _service_name(db, service_id, language)
        found.append(
            ExpertService(
                service_id=service_id,
                name=name,
                organisation=organisations[org_id],
                organisation_id=org_id,
            )
        )
    return sorted(found, key=lambda s: (s.name, s.organisation))


def display_of(db: Session, user: User, kind: str) -> str:
    """How the others in the room see this participant: kind (official, interpreter,
    expert) and organisation. The kiosk shows the call's own official large."""
    return f"{kind}:{_organisation_name(db, user.org_id) or ''}"


def desk_view(request: Request, access: Access, call: Call, after: int = 0) -> DeskCall:
    settings = request.app.state.settings
    now = utcnow()
    service_name, site_name = _names(access.db, call)
    view = DeskCall(
        id=call.id,
        status=call.status,
        outcome=call.outcome,
        service_id=call.service_id,
        service_name=service_name,
        language=call.language,
        site_name=site_name,
        identification=call.identification,
        kiosk_connected=(now - call.kiosk_seen_at).total_seconds() <= 5,
        kiosk_link=call.kiosk_link,
        accepted_at=call.accepted_at.isoformat() if call.accepted_at else None,
    )
    me = access.person.user_id
    view.my_role = role_in(access, call)
    view.parties = [
        Party(
            kind=p.kind,
            language=p.language,
            status=p.status,
            organisation=_organisation_name(access.db, p.org_id) if _org_shown(p) else None,
            service_id=p.service_id,
        )
        for p in access.db.scalars(
            select(CallParty).where(CallParty.call_id == call.id).order_by(CallParty.requested_at)
        )
    ]
    if call.status == CallStatus.ACTIVE:
        user = access.db.get(User, me)
        view.join = {
            "janus_url": janus_relay.join_url(request),
            "room": call.room,
            "token": participant_token(request.app.state.secret_key, call.id, me),
            "ice_servers": ice_servers(settings, f"desk-{me[:8]}"),
            "display": display_of(access.db, user, view.my_role) if user else "official:",
        }
    view.messages = [m.__dict__ for m in conversation.messages_after(access.db, call.id, after)]
    view.documents = [
        {**d.__dict__, "direction": direction}
        for direction in ("to_citizen", "from_citizen")
        for d in conversation.document_refs(access.db, call.id, direction)
    ]
    return view


@router.get("/state", response_model=DeskState, responses=errors(401, 403))
def desk_state(
    request: Request,
    after: int = Query(default=0, ge=0),
    access: Access = Depends(desk_user),
) -> DeskState:
    """The official's presence, the calls they may take (oldest first) and their active
    call. Polled every 2 s by the desk page; each poll keeps the official "here"."""
    settings = request.app.state.settings
    db = access.db
    now = utcnow()
    lifecycle.sweep(db, settings, request.app.state.rooms, now)
    me = _official(access)
    profile = lifecycle.profile_of(db, me.id)
    profile.seen_at = now
    active = db.scalar(
        select(Call).where(Call.official_id == me.id, Call.status == CallStatus.ACTIVE)
    )
    if active is not None:
        active.official_seen_at = now
    elif joined := parties.active_party_of(db, me.id):
        active = joined[1]  # an interpreter's, or an expert's in another organisation's call
    db.commit()
    interpreting = []
    if me.role == Role.INTERPRETER:
        for party, call in parties.requests_for(db, me, profile):
            interpreting.append(
                InterpreterRequest(
                    party_id=party.id,
                    language=party.language or "",
                    call_language=call.language,
                    service_name=_names(db, call)[0],
                    waited_s=int((now - party.requested_at).total_seconds()),
                )
            )
    invitations = []
    if me.role == Role.OFFICIAL:
        for party, call in parties.invitations_for(db, me, profile):
            invitations.append(
                ExpertInvitation(
                    party_id=party.id,
                    organisation=_organisation_name(db, call.org_id) or "",
                    service_name=_names(db, call)[0],
                    call_language=call.language,
                    for_me=party.wanted_user_id == me.id,
                    waited_s=int((now - party.requested_at).total_seconds()),
                )
            )
    waiting = []
    queued = (
        db.scalars(
            select(Call)
            .where(Call.org_id == me.org_id, Call.status == CallStatus.QUEUED)
            .order_by(Call.created_at)
            .limit(200)
        )
        if me.role == Role.OFFICIAL  # interpreters take requests, not the queue
        else []
    )
    for call in queued:
        if not lifecycle.may_take(call, me, profile):
            continue
        service_name, site_name = _names(db, call)
        waiting.append(
            Waiting(
                call_id=call.id,
                service_id=call.service_id,
                service_name=service_name,
                language=call.language,
                site_name=site_name,
                waited_s=int((now - call.created_at).total_seconds()),
                booked=call.booking_id is not None,
                for_me=call.wanted_official_id == me.id,
            )
        )
    return DeskState(
        role=me.role,
        interpreting=interpreting,
        invitations=invitations,
        expert_services=_expert_services(db, me, active.language)
        if active and active.official_id == me.id
        else [],
        presence=lifecycle.presence_of(db, me.id, settings, now),
        services=list(profile.services or []),
        languages=list(profile.languages or []),
        waiting=waiting,
        active=desk_view(request, access, active, after) if active else None,
    )


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
    me = _official(access)
    call = access.db.get(Call, call_id)
    profile = lifecycle.profile_of(access.db, me.id)
    if call is None or not (lifecycle.may_take(call, me, profile) or call.official_id == me.id):
        raise not_found("call you may take")
    lifecycle.accept(access.db, call, me, rooms_of(request))
    return desk_view(request, access, call)


@router.get("/calls/{call_id}", response_model=DeskCall, responses=errors(401, 403, 404))
def get_call(
    call_id: str,
    request: Request,
    after: int = Query(default=0, ge=0),
    access: Access = Depends(desk_user),
) -> DeskCall:
    return desk_view(request, access, own_call(access, call_id), after)


@router.post("/calls/{call_id}/end", response_model=DeskCall, responses=errors(401, 403, 404))
def end_call(
    call_id: str, body: EndIn, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    call = officials_call(access, call_id)
    lifecycle.finish(access.db, call, body.outcome, request.app.state.rooms)
    access.db.commit()
    return desk_view(request, access, call)


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
    return desk_view(request, access, call)


@router.post(
    "/interpreting/{party_id}/take",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 503),
)
def take_interpreting(
    party_id: str, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """An interpreter takes a request and joins its call (two at once: one gets 409)."""
    me = _official(access)
    party = access.db.get(CallParty, party_id)
    profile = lifecycle.profile_of(access.db, me.id)
    if (
        not parties.interprets(access.db, me)
        or party is None
        or party.kind != "interpreter"
        or party.language not in (profile.languages or [])
    ):
        raise not_found("interpreting request for you")
    call = parties.take(access.db, party, me, rooms_of(request))
    audit.concerns(request, call.org_id)
    access.db.commit()
    return desk_view(request, access, call)


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
    return desk_view(request, access, call)


@router.post(
    "/invitations/{party_id}/take",
    response_model=DeskCall,
    responses=errors(401, 403, 404, 409, 503),
)
def take_invitation(
    party_id: str, request: Request, access: Access = Depends(desk_user)
) -> DeskCall:
    """An invited official joins the other organisation's call (two at once: one gets 409)."""
    me = _official(access)
    party = access.db.get(CallParty, party_id)
    call = access.db.get(Call, party.call_id) if party is not None else None
    profile = lifecycle.profile_of(access.db, me.id)
    if party is None or call is None or not parties.may_join_as_expert(party, call, me, profile):
        raise not_found("invitation for you")
    parties.take(access.db, party, me, rooms_of(request))
    audit.concerns(request, call.org_id)
    access.db.commit()
    return desk_view(request, access, call)


@router.post("/calls/{call_id}/leave", response_model=DeskCall, responses=errors(401, 403, 404))
def leave_call(call_id: str, request: Request, access: Access = Depends(desk_user)) -> DeskCall:
    """An interpreter or expert leaves; the call goes on with the citizen and its official."""
    call = own_call(access, call_id)
    audit.concerns(request, call.org_id)
    party = parties.joined_party(access.db, call.id, access.person.user_id)
    if party is None:
        raise not_found("call you joined")
    parties.leave(access.db, party, rooms_of(request))
    access.db.commit()
    kind = party.kind
    service_name, site_name = _names(access.db, call)
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
    call.identification = body.level
    access.db.commit()
    return desk_view(request, access, call)


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
    audit.concerns(request, call.org_id)
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
            request.app.state.secret_key,
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
    audit.concerns(request, call.org_id)
    content = conversation.open_document(
        access.db, request.app.state.secret_key, document, access.person.user_id
    )
    return Response(
        content,
        media_type=document.content_type,
        headers={"content-disposition": content_disposition(document.name)},
    )
