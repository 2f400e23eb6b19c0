"""What an official's desk shows: the state it polls (presence, the queue, requests,
invitations) and the view of a call, built from the call's rows. The routes in
central/api/desk.py only check who asks and hand these back."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.policy import Access
from central.api.deps import settings_of
from central.calls import conversation, janus_relay, lifecycle, parties, queue
from central.db.engine import commit_liveness
from central.db.models import Call, CallParty, Organisation, Payment, Service, Site, User
from central.db.types import utcnow
from central.errors import not_found
from contract.appointments import VisitPlace
from contract.call_api import CallStatus, Speaker
from contract.roles import Role


class Waiting(BaseModel):
    call_id: str
    service_id: str
    service_name: str
    language: str
    site_name: str
    # The service point's organisation (a municipality hosting this official's under
    # an agreement, or their own).
    municipality: str = ""
    waited_s: int
    booked: bool
    for_me: bool
    # The citizen is at home in their own browser (/visit/), not at a service point.
    from_home: bool = False


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
    municipality: str = ""
    from_home: bool = False
    identification: str
    # How (document, fineid…), and what the official asked for and the citizen has not
    # yet done.
    identification_method: str | None = None
    identification_requested: str | None = None
    kiosk_connected: bool
    accepted_at: str | None
    # The citizen's link as the kiosk measures it: good, fair or poor.
    kiosk_link: str = "good"
    # What the kiosk sends: False when the citizen cannot be seen (camera) or heard
    # (microphone); None until the kiosk says.
    kiosk_camera: bool | None = None
    kiosk_microphone: bool | None = None
    join: dict[str, Any] | None = None
    # What the person at this desk is in the call: its official, or an interpreter.
    my_role: str = "official"
    parties: list[Party] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    documents: list[dict[str, Any]] = Field(default_factory=list)
    # What the official asked the citizen to pay in this call, and how each stands
    # (the call's official only).
    payments: list[dict[str, Any]] = Field(default_factory=list)


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


def names_of(db: Session, call: Call) -> tuple[str, str]:
    site = db.get(Site, call.site_id) if call.site_id else None
    return _service_name(db, call.service_id, call.language), site.name if site else ""


def official_of(access: Access) -> User:
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
    return _in_language(names, language) or service_id


def _in_language(names: dict[str, str], language: str) -> str:
    return names.get(language) or names.get("fi") or next(iter(names.values()), "")


class Names:
    """The names of the services, sites and organisations of many calls, each read once,
    names only (a desk polls every 2 s, listing up to 200 waiting citizens; a service's
    whole catalogue entry is large)."""

    def __init__(self, db: Session, calls: list[Call], org_ids: set[str] | None = None) -> None:
        self.db = db
        self.services: dict[str, dict[str, str]] = {}
        self.sites: dict[str, str] = {}
        self.organisations: dict[str, str] = {}
        if not calls:
            return
        service_ids = {c.service_id for c in calls}
        self.services = {
            sid: names if isinstance(names, dict) else {}
            for sid, names in db.execute(
                select(Service.id, Service.item["name"]).where(Service.id.in_(service_ids))
            ).all()
        }
        site_ids = {c.site_id for c in calls if c.site_id}
        self.sites = dict(db.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids))).all())
        org_ids = {c.org_id for c in calls} | (org_ids or set())
        self.organisations = dict(
            db.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
            ).all()
        )

    def service(self, service_id: str, language: str) -> str:
        return _in_language(self.services.get(service_id, {}), language) or service_id

    def organisation(self, org_id: str | None) -> str:
        """An organisation's name: read with the others, or now if it was not."""
        if not org_id:
            return ""
        if org_id not in self.organisations:
            self.organisations[org_id] = _organisation_name(self.db, org_id) or ""
        return self.organisations[org_id]


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


def call_view(
    request: Request, access: Access, call: Call, after: int = 0, names: Names | None = None
) -> DeskCall:
    """`names`: those the desk's poll has read already (its queue's, and this call's)."""
    now = utcnow()
    me = access.person.user_id
    user = access.db.get(User, me)
    in_call = list(
        access.db.scalars(
            select(CallParty).where(CallParty.call_id == call.id).order_by(CallParty.requested_at)
        )
    )
    if names is None:
        org_ids = [p.org_id for p in in_call] + [user.org_id if user else None]
        names = Names(access.db, [call], {o for o in org_ids if o})
    view = DeskCall(
        id=call.id,
        status=call.status,
        outcome=call.outcome,
        service_id=call.service_id,
        service_name=names.service(call.service_id, call.language),
        language=call.language,
        site_name=names.sites.get(call.site_id or "", ""),
        from_home=call.place == VisitPlace.HOME,
        municipality=names.organisation(call.org_id),
        identification=call.identification,
        identification_method=call.identification_method,
        identification_requested=call.identification_requested,
        kiosk_connected=lifecycle.kiosk_connected(call.kiosk_seen_at, now),
        kiosk_link=call.kiosk_link,
        kiosk_camera=call.kiosk_camera,
        kiosk_microphone=call.kiosk_microphone,
        accepted_at=call.accepted_at.isoformat() if call.accepted_at else None,
    )
    view.my_role = role_in(access, call)
    view.parties = [
        Party(
            kind=p.kind,
            language=p.language,
            status=p.status,
            organisation=(names.organisation(p.org_id) or None) if _org_shown(p) else None,
            service_id=p.service_id,
        )
        for p in in_call
    ]
    if call.status == CallStatus.ACTIVE:
        display = f"{view.my_role}:{names.organisation(user.org_id)}" if user else "official:"
        view.join = {
            **janus_relay.room_join(request, call, me, f"desk-{me[:8]}"),
            "display": display,
        }
    view.messages = [m.__dict__ for m in conversation.messages_after(access.db, call.id, after)]
    view.documents = [
        {**d.__dict__, "direction": direction}
        for direction, d in conversation.document_refs_by_direction(access.db, call.id)
    ]
    if view.my_role == "official":
        view.payments = [
            {
                "id": p.id,
                "amount_cents": p.amount_cents,
                "vat_basis_points": p.lines[0]["vat_basis_points"] if p.lines else 0,
                "reason": p.reason,
                "status": p.status.value,
                "method": p.method.value,
            }
            for p in access.db.scalars(
                select(Payment).where(Payment.call_id == call.id).order_by(Payment.created_at)
            )
        ]
    return view


def state_for(request: Request, access: Access, after: int = 0) -> DeskState:
    """The official's presence, the calls they may take (oldest first) and their active
    call; building it keeps the official "here"."""
    settings = settings_of(request)
    db = access.db
    now = utcnow()
    me = official_of(access)
    profile = lifecycle.profile_of(db, me.id)
    if lifecycle.desk_seen_due(profile.seen_at, now, settings):
        profile.seen_at = now
    active = db.scalar(
        select(Call).where(Call.official_id == me.id, Call.status == CallStatus.ACTIVE)
    )
    # The citizen's side shows the official connected while this is under half of
    # `desk_gone_after_s` old.
    if active is not None:
        if lifecycle.official_seen_due(active.official_seen_at, now, settings):
            active.official_seen_at = now
    elif joined := parties.active_party_of(db, me.id):
        active = joined[1]  # an interpreter's, or an expert's in another organisation's call
    commit_liveness(db)
    interpreting = []
    if me.role == Role.INTERPRETER:
        for party, call in parties.requests_for(db, me, profile):
            interpreting.append(
                InterpreterRequest(
                    party_id=party.id,
                    language=party.language or "",
                    call_language=call.language,
                    service_name=names_of(db, call)[0],
                    waited_s=int((now - party.requested_at).total_seconds()),
                )
            )
    invitations = []
    if me.role == Role.OFFICIAL:
        for party, call in parties.invitations_for(db, me, profile):
            invitations.append(
                ExpertInvitation(
                    party_id=party.id,
                    organisation=_organisation_name(db, call.provider_id) or "",
                    service_name=names_of(db, call)[0],
                    call_language=call.language,
                    for_me=party.wanted_user_id == me.id,
                    waited_s=int((now - party.requested_at).total_seconds()),
                )
            )
    waiting = []
    quiet = lifecycle.quiet_since(settings, now)
    queued = queue.for_official(db, me, profile, quiet) if me.role == Role.OFFICIAL else []
    shown = queued + ([active] if active is not None else [])
    names = Names(db, shown, {me.org_id} if me.org_id else set())
    for call in queued:
        waiting.append(
            Waiting(
                call_id=call.id,
                service_id=call.service_id,
                service_name=names.service(call.service_id, call.language),
                language=call.language,
                site_name=names.sites.get(call.site_id or "", ""),
                municipality=names.organisations.get(call.org_id, ""),
                waited_s=int((now - call.created_at).total_seconds()),
                booked=call.booking_id is not None,
                from_home=call.place == VisitPlace.HOME,
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
        presence=lifecycle.presence_of(db, me.id, settings, now, in_call=active is not None),
        services=list(profile.services or []),
        languages=list(profile.languages or []),
        waiting=waiting,
        active=call_view(request, access, active, after, names) if active else None,
    )
