"""The tables of central. One class per thing the domain talks about."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from central.db.types import UTCDateTime, Vocabulary, utcnow
from contract.agreements import (
    AgreementAction,
    AgreementKind,
    AgreementStatus,
    CompensationBasis,
)
from contract.appointments import BookingChannel, VisitPlace
from contract.call_api import (
    CallOutcome,
    CallStatus,
    IdentificationLevel,
    IdentificationMethod,
    PartyKind,
    PartyStatus,
    PhoneStep,
    Speaker,
)
from contract.kiosk_api import BookingStatus, CheckInStatus, CommandStatus
from contract.payments import PaymentMethod, PaymentPurpose, PaymentStatus, PriceKind
from contract.release import RolloutState
from contract.roles import Role


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    ptv_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Days to keep usage events, bookings and screenshots; missing keys use central's defaults.
    retention: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who hears of alerts: {"emails": [...], "webhook": "https://…"} (central/fleet/alerts.py).
    alerting: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Marked by the national admin: only such an organisation's interpreters interpret.
    interpretation_service: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Vocabulary(Role, 32))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A disabled user keeps their history (commands, tokens they made) but cannot log in.
    disabled_at: Mapped[datetime | None] = mapped_column()


class AccessToken(Base):
    """A person's or system's bearer token; only its SHA-256 is stored."""

    __tablename__ = "access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set for a system's API token made in the console (None: a login's session token).
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Failed logins per key, to slow password guessing without locking out the owner.

    Keys: `acct:<email>` (from anywhere), `addr:<ip>` (any account) and
    `pair:<email>|<ip>` (one account from one address; locks first).
    """

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None] = mapped_column()


class MediaServerState(Base):
    """Each Janus of the pool as last checked (central/calls/media_pool.py): out after two
    failed checks in a row, back at the first good one."""

    __tablename__ = "media_servers"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    up: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime] = mapped_column()


class PeriodicRun(Base):
    """When each periodic job (alerts, retention, PTV syncs …) last ran, shared by every
    central instance so that each runs once per period (central/background.py)."""

    __tablename__ = "periodic_runs"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    runs: Mapped[int] = mapped_column(Integer, default=0)
    # Which instance ran it last (`instance_name`: host and process by default).
    instance: Mapped[str] = mapped_column(String(120), default="")


class ChangeMark(Base):
    """How many times what one poller watches has changed (central/calls/change_marks.py):
    `call:<id>` a call with its chat, documents, parties and payments; `queue:<org>` the
    calls and invitations an organisation's officials may take; `user:<id>` an official's
    own settings; `parties` requests for interpreters. A desk that saw the same numbers
    has nothing new to read."""

    __tablename__ = "change_marks"
    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config_version: Mapped[int] = mapped_column(Integer, default=1)
    # Salt for booking code hashes sent to this site's kiosks.
    code_salt: Mapped[str] = mapped_column(String(64))
    # Change-log ids at or below this were pruned: older cursors need a full resync.
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrolmentToken(Base):
    # The table keeps the name of the API path (/enrollment-tokens); code says "enrolment".
    __tablename__ = "enrollment_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by_kiosk: Mapped[str | None] = mapped_column(String(36))


class Kiosk(Base):
    __tablename__ = "kiosks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    hardware_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    device_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    software_version: Mapped[str | None] = mapped_column(String(64))
    config_version: Mapped[int | None] = mapped_column(Integer)
    last_seen: Mapped[datetime | None] = mapped_column()
    outbox_depth: Mapped[int] = mapped_column(Integer, default=0)
    dropped_events: Mapped[int] = mapped_column(Integer, default=0)
    health: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "ok", "degraded" or "maintenance" from the last heartbeat (central/fleet/fleet_status.py).
    condition: Mapped[str] = mapped_column(String(16), default="ok")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    device_token_expires_at: Mapped[datetime | None] = mapped_column()
    # The token a rotation replaced keeps working for a short while, so a kiosk whose
    # rotation answer was lost on the way is not locked out (central/fleet/enrolment.py).
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    previous_token_until: Mapped[datetime | None] = mapped_column()
    # A retired kiosk keeps its history; its token is revoked and its hardware id released.
    retired_at: Mapped[datetime | None] = mapped_column()
    # Labels people give kiosks ("lobby", "pilot") to deploy releases to a group.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class Command(Base):
    __tablename__ = "commands"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[CommandStatus] = mapped_column(
        Vocabulary(CommandStatus, 16), default=CommandStatus.PENDING
    )
    detail: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    has_artifact: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_commands_kiosk_status", "kiosk_id", "status"),)


class CommandArtifact(Base):
    """A screenshot (PNG) a kiosk uploaded as the result of a command."""

    __tablename__ = "command_artifacts"
    command_id: Mapped[str] = mapped_column(
        ForeignKey("commands.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Service(Base):
    """A service from the national catalogue, stored in the kiosk's view of it."""

    __tablename__ = "services"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item: Mapped[dict[str, Any]] = mapped_column()
    content_hash: Mapped[str] = mapped_column(String(64))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by a PTV sync: the organisation whose list it came from (its absence from a full
    # read of that list withdraws it) and PTV's `modified`, to skip unchanged services.
    # The PTV organisation whose sync keeps this service fresh (its owner), and every
    # organisation whose last complete list named it (a service PTV lists for several:
    # responsible, other responsible, producer). Withdrawn only when none lists it.
    ptv_organisation: Mapped[str | None] = mapped_column(String(64), index=True)
    ptv_listed_by: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    ptv_modified: Mapped[str | None] = mapped_column(String(40))


class ServiceOverlay(Base):
    """What PTV cannot say about a service, kept beside its PTV data and never touched by
    a sync: whether it is offered by video, the identification it needs. site_id "" is
    every site; a site's own row overrides it."""

    __tablename__ = "service_overlays"
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(36), primary_key=True, default="")
    remote_video: Mapped[bool | None] = mapped_column(Boolean)
    identification: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PtvSync(Base):
    """An organisation's services fetched from the PTV Open API on a schedule."""

    __tablename__ = "ptv_syncs"
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    api_base: Mapped[str] = mapped_column(String(500))
    ptv_organisation: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    every_minutes: Mapped[int] = mapped_column(Integer, default=60)
    full_every_hours: Mapped[int] = mapped_column(Integer, default=24)
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_full_at: Mapped[datetime | None] = mapped_column()
    last_result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SiteService(Base):
    """Which services a site's kiosks show, in which order."""

    __tablename__ = "site_services"
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ChangeLogEntry(Base):
    """Latest change of one entity for one site; the id is the delta cursor.

    Each (site, kind, entity) has at most one row: a newer change replaces the
    older row, so the log is bounded by what a site has ever shown.
    """

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("site_id", "kind", "entity_id", name="uq_change_log_entity"),
        Index("ix_change_log_site_kind_id", "site_id", "kind", "id"),
        # Without AUTOINCREMENT SQLite reuses the highest id after a delete,
        # and a kiosk holding that id as its cursor would miss a change.
        {"sqlite_autoincrement": True},
    )


class Booking(Base):
    __tablename__ = "bookings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    # None: a video appointment from home (no service point).
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    display_name: Mapped[str] = mapped_column(String(60))
    mode: Mapped[str] = mapped_column(String(16))
    # Only bookings made before migration 0003 have a stored code; newer codes are derived
    # from central's secret (central/bookings/codes.py) and found by `code_lookup`.
    code: Mapped[str | None] = mapped_column(String(16))
    code_nonce: Mapped[int] = mapped_column(Integer, default=0)
    code_lookup: Mapped[str | None] = mapped_column(String(64))
    # What kiosks verify against, with this booking's own salt (contract/codes.py).
    code_hash: Mapped[str] = mapped_column(String(64))
    hash_salt: Mapped[str | None] = mapped_column(String(64))
    hash_alg: Mapped[str] = mapped_column(String(32), default="pbkdf2-sha256:20000")
    # The citizen's card, as the same salted hash as the code: never the card number.
    card_hash: Mapped[str | None] = mapped_column(String(64))
    # The display name sealed for the kiosk with the code and the card (contract.codes):
    # a stolen kiosk's state.db tells no names.
    name_sealed_code: Mapped[str | None] = mapped_column(String(200))
    name_sealed_card: Mapped[str | None] = mapped_column(String(200))
    # A remote booking's official; none: the organisation's queue for the service.
    official_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # A remote booking that needs an interpreter: asked for as the official answers.
    interpreter_language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[BookingStatus] = mapped_column(
        Vocabulary(BookingStatus, 16), default=BookingStatus.BOOKED
    )
    checked_in_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Video appointments booked from a calendar (central/appointments/).
    calendar_id: Mapped[str | None] = mapped_column(
        ForeignKey("appointment_calendars.id", ondelete="SET NULL")
    )
    channel: Mapped[BookingChannel] = mapped_column(
        Vocabulary(BookingChannel, 16),
        default=BookingChannel.BOOKING_SYSTEM,
        server_default=BookingChannel.BOOKING_SYSTEM.value,
    )
    place: Mapped[VisitPlace | None] = mapped_column(Vocabulary(VisitPlace, 16))
    language: Mapped[str | None] = mapped_column(String(8))
    # Where the confirmation went; wiped with the booking's other personal data.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # A held booking's slot is the citizen's until then (proof of the e-mail address).
    hold_until: Mapped[datetime | None] = mapped_column()
    # Finds the booking by its code from any kiosk or the web (not site-scoped).
    any_lookup: Mapped[str | None] = mapped_column(String(64), index=True)

    __table_args__ = (
        UniqueConstraint("org_id", "external_id", name="uq_bookings_external"),
        Index("ix_bookings_site_code", "site_id", "code"),
        Index("ix_bookings_site_code_lookup", "site_id", "code_lookup"),
        # An official's held times, as the appointment search reads them (0019).
        Index("ix_bookings_official_starts", "official_id", "starts_at"),
    )


class AppointmentCalendar(Base):
    """One official's video appointment times for one service (central/appointments/)."""

    __tablename__ = "appointment_calendars"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    official_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Where the citizen may sit: VisitPlace values.
    places: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"day": 0..6 (Monday 0), "start": "09:00", "end": "11:30"}] in `zone`.
    weekly: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # {"2026-12-24": []} closes a day; a list of periods replaces its weekly times.
    exceptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    book_ahead_days: Mapped[int] = mapped_column(Integer, default=30)
    notice_minutes: Mapped[int] = mapped_column(Integer, default=120)
    valid_from: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[str | None] = mapped_column(String(10))
    zone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Absence(Base):
    """An official away: none of their appointment slots in this time is offered."""

    __tablename__ = "absences"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    official_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlotClaim(Base):
    """Each grid step (contract.appointments.GRID_MINUTES) of an official's time that a
    booking holds: the primary key makes a double booking impossible on any database."""

    __tablename__ = "slot_claims"
    official_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    booking_id: Mapped[str] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )


class CheckIn(Base):
    """A check-in a kiosk reported; the stored answer makes replays idempotent."""

    __tablename__ = "checkins"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    booking_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    status: Mapped[CheckInStatus] = mapped_column(Vocabulary(CheckInStatus, 24))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageEvent(Base):
    __tablename__ = "usage_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"))
    site_id: Mapped[str] = mapped_column(String(36))
    org_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()
    local_day: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_usage_events_org_day", "org_id", "local_day"),
        Index("ix_usage_events_site_day", "site_id", "local_day"),
    )


class OfficialProfile(Base):
    """What an official serves (services, languages) and whether they can take a call now.

    `presence` is what the official chose (available or away); busy is derived
    from an active call. `seen_at` moves with every poll of the desk page, so a
    closed tab stops counting as available by itself.
    """

    __tablename__ = "official_profiles"
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    services: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    presence: Mapped[str] = mapped_column(String(16), default="away")
    seen_at: Mapped[datetime | None] = mapped_column()


class Call(Base):
    """One video call from a kiosk: queued, then active with one official, then ended.

    Holds no personal data: the service, language, times, outcome and the
    identification level the official recorded.
    """

    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # The service point's: the host organisation whose kiosk the citizen is at.
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The organisation whose officials serve it: the host itself for its own services,
    # else the provider of the agreement that routed it (central/agreements/routes.py).
    provider_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"))
    # The statement that counted it once it ended (None: not on an issued one yet).
    statement_id: Mapped[str | None] = mapped_column(String(36))
    # None for a visit from home (/visit/): the citizen's own browser, no service point.
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    kiosk_id: Mapped[str | None] = mapped_column(ForeignKey("kiosks.id"), index=True)
    place: Mapped[VisitPlace] = mapped_column(
        Vocabulary(VisitPlace, 16),
        default=VisitPlace.SERVICE_POINT,
        server_default=VisitPlace.SERVICE_POINT.value,
    )
    service_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    booking_id: Mapped[str | None] = mapped_column(String(36))
    # The official a booking named; none: anyone who serves the service and language.
    wanted_official_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    official_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CallStatus] = mapped_column(
        Vocabulary(CallStatus, 16), default=CallStatus.QUEUED
    )
    outcome: Mapped[CallOutcome | None] = mapped_column(Vocabulary(CallOutcome, 32))
    identification: Mapped[IdentificationLevel] = mapped_column(
        Vocabulary(IdentificationLevel, 16), default=IdentificationLevel.NONE
    )
    identification_method: Mapped[IdentificationMethod | None] = mapped_column(
        Vocabulary(IdentificationMethod, 16)
    )
    # The official asked the citizen to identify this way (the kiosk shows how); cleared
    # once they have.
    identification_requested: Mapped[IdentificationMethod | None] = mapped_column(
        Vocabulary(IdentificationMethod, 16)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    kiosk_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    official_seen_at: Mapped[datetime | None] = mapped_column()
    # The kiosk's link as it measures it (good, fair, poor): the desk sends less on a poor one.
    kiosk_link: Mapped[str] = mapped_column(String(8), default="good", server_default="good")
    # What the kiosk sends (its camera, its microphone): the desk tells the official when
    # the citizen cannot be seen or heard. None until the kiosk says.
    kiosk_camera: Mapped[bool | None] = mapped_column(Boolean)
    kiosk_microphone: Mapped[bool | None] = mapped_column(Boolean)
    # The Janus room and whether its tokens were taken back after the call.
    room: Mapped[str | None] = mapped_column(String(64))
    room_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which Janus of the pool the room is on (central/calls/media_pool.py), and how many
    # times it moved there from a Janus that died: participants rejoin when either changes.
    media_server: Mapped[str | None] = mapped_column(String(40))
    media_epoch: Mapped[int] = mapped_column(Integer, default=0)
    documents_to_citizen: Mapped[int] = mapped_column(Integer, default=0)
    documents_from_citizen: Mapped[int] = mapped_column(Integer, default=0)
    documents_printed: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_calls_org_status", "org_id", "status"),
        Index("ix_calls_provider_status", "provider_id", "status"),
        # The periodic sweep of calls whose kiosk went quiet (central/calls/lifecycle.py).
        Index("ix_calls_status_seen", "status", "kiosk_seen_at"),
        Index("ix_calls_agreement_statement", "agreement_id", "statement_id", "ended_at"),
    )


class CallParty(Base):
    """Someone who joins a call besides its official: an interpreter, or an expert of
    another organisation. Asked for (no one yet), joined, then left; only while
    joined and the call is active do they reach it (its room, chat, documents).
    """

    __tablename__ = "call_parties"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PartyKind] = mapped_column(Vocabulary(PartyKind, 16))
    # interpreter: the language to interpret (the call's is the other one)
    language: Mapped[str | None] = mapped_column(String(8))
    # expert: asked of this organisation, for this service or this person
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    service_id: Mapped[str | None] = mapped_column(String(64))
    wanted_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[PartyStatus] = mapped_column(
        Vocabulary(PartyStatus, 16), default=PartyStatus.REQUESTED
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column()
    left_at: Mapped[datetime | None] = mapped_column()
    # An interpreter's: the interpretation agreement that let them in, and the statement
    # that counted their time (central/agreements/statements.py).
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    statement_id: Mapped[str | None] = mapped_column(String(36))
    # False from leaving until Janus confirmed their token and sessions gone.
    room_left: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class CallMessage(Base):
    """A chat line of a call; deleted with the call's documents (retention)."""

    __tablename__ = "call_messages"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    sender: Mapped[Speaker] = mapped_column(Vocabulary(Speaker, 16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CallDocument(Base):
    """A document of a call: shown to the citizen, or scanned by them. Encrypted at rest."""

    __tablename__ = "call_documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))  # to_citizen | from_citizen
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    printed_at: Mapped[datetime | None] = mapped_column()


class DocumentDownload(Base):
    """Audit log: who downloaded which scanned page, when. Kept after the page is gone."""

    __tablename__ = "document_downloads"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    call_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Every change a person or system made through the API or the console: who, what,
    when, from where. Append-only: no endpoint edits or deletes a row (central/access/audit.py);
    only retention removes rows past `audit_retention_days`."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    # The organisation whose admins see the entry: the actor's own (None: national).
    org_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # And the organisation whose call it acted on, where that is another (its admins see
    # it too): an interpreter's or expert's take, chat, leave and document downloads.
    concerns_org_id: Mapped[str | None] = mapped_column(String(36), index=True)
    via: Mapped[str] = mapped_column(String(8))  # "api" or "console"
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(64))
    # What the change changed, where the endpoint says (settings, a name):
    # {"changes": [[field, old, new], …]} (central/access/audit.py `record_changes`).
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Alert(Base):
    """A condition of a kiosk that needs a person (offline, a device fault, …), raised once.

    `open_key` is "<kiosk>:<condition>" while the alert is open and None once resolved:
    unique, so two workers evaluating at once raise it only once.
    """

    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    condition: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(300), default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column()
    open_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    # A person has seen it and is on it: it stays open until its condition clears.
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(36))
    # No notices about this kiosk's condition until then (raised again or resolved).
    silenced_until: Mapped[datetime | None] = mapped_column()


class AlertNotice(Base):
    """One message about an alert (raised or resolved) to one channel, sent with retries."""

    __tablename__ = "alert_notices"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    event: Mapped[str] = mapped_column(String(8))  # "raised" or "resolved"
    channel: Mapped[str] = mapped_column(String(8))  # "email" or "webhook"
    target: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class Invitation(Base):
    """A link mailed to a new user to set their password; single use, expires."""

    __tablename__ = "invitations"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class CatalogueDraft(Base):
    """A catalogue file a national admin is reviewing before importing it (kept an hour)."""

    __tablename__ = "catalogue_drafts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(500))
    # The documents, JSON and zlib-compressed.
    body: Mapped[bytes] = mapped_column(LargeBinary)


class UsageDaily(Base):
    """Usage events counted per kiosk, day, type, service and detail, as they arrive.

    Reports read these instead of the events: a busy kiosk's day is a few dozen rows
    however many citizens it served. `detail` is the satisfaction score or the
    accessibility feature; `total` and `peak` sum and bound call durations (seconds).
    """

    __tablename__ = "usage_daily"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    org_id: Mapped[str] = mapped_column(String(36))
    site_id: Mapped[str] = mapped_column(String(36))
    kiosk_id: Mapped[str] = mapped_column(String(36))
    local_day: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(default=0.0)
    peak: Mapped[float] = mapped_column(default=0.0)

    __table_args__ = (
        UniqueConstraint(
            "kiosk_id", "local_day", "type", "service_id", "detail", name="uq_usage_daily_key"
        ),
        Index("ix_usage_daily_org_day", "org_id", "local_day"),
        Index("ix_usage_daily_site_day", "site_id", "local_day"),
        # One type over a range of days (satisfaction, features, calls, visits), and the
        # report's table by day and type read from the index alone (it holds the count).
        Index("ix_usage_daily_type_day", "type", "local_day", "count"),
    )


class Deployment(Base):
    """A release rolled out to a set of kiosks in phases: canary, 10 %, all
    (central/updates/deployments.py). `phase` is the last phase opened."""

    __tablename__ = "deployments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # The organisation whose kiosks it reaches; None when a national admin spans several.
    org_id: Mapped[str | None] = mapped_column(String(36), index=True)
    release: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    selector: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")
    phase: Mapped[int] = mapped_column(Integer, default=0)
    error_threshold: Mapped[float] = mapped_column(default=0.05)
    success_threshold: Mapped[float] = mapped_column(default=0.9)
    # Failures already seen when a person resumed it: only new ones pause it again.
    failures_acknowledged: Mapped[int] = mapped_column(Integer, default=0)
    paused_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeploymentKiosk(Base):
    """One kiosk of a deployment: its phase and what it last reported."""

    __tablename__ = "deployment_kiosks"
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), primary_key=True, index=True)
    phase: Mapped[int] = mapped_column(Integer)
    # pending, downloading, installed, switching, committed, rolled_back, failed
    state: Mapped[RolloutState] = mapped_column(
        Vocabulary(RolloutState, 16), default=RolloutState.PENDING
    )
    detail: Mapped[str | None] = mapped_column(String(500))
    # When its phase opened: from then on its heartbeats name the release.
    released_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agreement(Base):
    """A host organisation lets a provider serve at its sites (or an interpretation
    service interpret for it), on these terms. Never deleted: ending one keeps it as
    history, and statements and calls point at it. central/agreements/."""

    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[AgreementKind] = mapped_column(Vocabulary(AgreementKind, 16))
    # SERVICE: the organisation running the sites. INTERPRETATION: the one interpreted for.
    host_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    # None: all the provider's services / all the host's sites.
    service_ids: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    site_ids: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[str] = mapped_column(String(10))  # an ISO date, Finnish time
    valid_to: Mapped[str | None] = mapped_column(String(10))  # the last day, inclusive
    basis: Mapped[CompensationBasis] = mapped_column(Vocabulary(CompensationBasis, 24))
    amount_cents: Mapped[int] = mapped_column(Integer)
    # VAT in hundredths of a per cent: 2550 is 25.5 %.
    vat_basis_points: Mapped[int] = mapped_column(Integer)
    status: Mapped[AgreementStatus] = mapped_column(Vocabulary(AgreementStatus, 16))
    # The organisation that proposed it (None: made by the national admin).
    proposed_by_org_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class AgreementEvent(Base):
    """One step of an agreement's history: who did what, when. Append-only."""

    __tablename__ = "agreement_events"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    action: Mapped[AgreementAction] = mapped_column(Vocabulary(AgreementAction, 16))
    user_id: Mapped[str | None] = mapped_column(String(36))
    org_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Statement(Base):
    """An agreement's month, issued once the month is over: the figures both parties
    see, frozen. Calls that end later go on the next month's (`Call.statement_id`)."""

    __tablename__ = "statements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    figures: Mapped[dict[str, Any]] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("agreement_id", "month", name="uq_statements_month"),)


class ExpertDirectoryEntry(Base):
    """The national admin's directory: an organisation any official may invite an expert
    from, agreement or not (for a service of it, or any)."""

    __tablename__ = "expert_directory"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityChallenge(Base):
    """What a kiosk's ID card must sign for one call: single use, two minutes, for the
    kiosk that asked (central/identity/card_route.py)."""

    __tablename__ = "identity_challenges"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kiosk_id: Mapped[str] = mapped_column(String(36), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column()


class PhoneIdentification(Base):
    """A QR code a kiosk shows for identification by the citizen's own phone
    (central/identity/eid/phone_route.py): its address is single use and opens within
    two minutes, only for this kiosk's call; the memo is what the identity provider was
    asked (request id, state, nonce), never who answered."""

    __tablename__ = "phone_identifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kiosk_id: Mapped[str] = mapped_column(String(36), index=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    method: Mapped[IdentificationMethod] = mapped_column(Vocabulary(IdentificationMethod, 16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    short_code: Mapped[str] = mapped_column(String(8))
    step: Mapped[PhoneStep] = mapped_column(Vocabulary(PhoneStep, 16), default=PhoneStep.WAITING)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    opened_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    memo: Mapped[str] = mapped_column(Text, default="{}")
    refusal: Mapped[str | None] = mapped_column(String(200))


class CallIdentity(Base):
    """Who the citizen of a call is, as strong identification proved it: sealed with
    central's key (the call id bound in), shown to the call's official only, every view
    audited, deleted with the call's documents."""

    __tablename__ = "call_identities"
    call_id: Mapped[str] = mapped_column(
        ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[IdentificationMethod] = mapped_column(Vocabulary(IdentificationMethod, 16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PaymentAccount(Base):
    """An organisation's merchant account at Suomi.fi Payments (the Paytrail Payment
    API): its id and its secret, sealed with central's key (the organisation's id bound
    in). The secret never leaves central: the API says only whether one is set."""

    __tablename__ = "payment_accounts"
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(32))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Price(Base):
    """One line of a site's price list, VAT included: a service's fee, or an A4 page
    printed or copied. Who is paid: the service's provider for a fee, the site's own
    organisation for pages (central/payments/prices.py)."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("site_id", "kind", "service_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[PriceKind] = mapped_column(Vocabulary(PriceKind, 16))
    service_id: Mapped[str] = mapped_column(String(64), default="")  # "" for pages
    org_id: Mapped[str] = mapped_column(String(36))  # who is paid
    amount_cents: Mapped[int] = mapped_column(Integer)
    vat_basis_points: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """A payment at a kiosk: what, how much, for whom, how and where it stands. Never
    card data, never the payer: the provider's reference and its word on the status
    only. Its steps are in PaymentStep; central/payments/ledger.py is the one place
    that moves its status."""

    __tablename__ = "payments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(36), index=True)  # who is paid
    site_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kiosk_id: Mapped[str | None] = mapped_column(String(36), index=True)
    service_id: Mapped[str | None] = mapped_column(String(64))
    call_id: Mapped[str | None] = mapped_column(String(36), index=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(Vocabulary(PaymentPurpose, 16))
    method: Mapped[PaymentMethod] = mapped_column(Vocabulary(PaymentMethod, 16))
    status: Mapped[PaymentStatus] = mapped_column(
        Vocabulary(PaymentStatus, 16), default=PaymentStatus.OPEN, index=True
    )
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amount_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    # Ours to the provider (Paytrail's `stamp` and `reference`), and theirs to us.
    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    pay_url: Mapped[str] = mapped_column(String(500), default="")
    provider_status: Mapped[str] = mapped_column(String(16), default="")
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    paid_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentStep(Base):
    """One change of a payment's status and what said so (a callback, the phone's
    return, a status query, the kiosk, an admin's refund). Append-only: the history the
    console shows, and the proof that a callback sent twice changed nothing twice."""

    __tablename__ = "payment_steps"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    payment_id: Mapped[str] = mapped_column(
        ForeignKey("payments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[PaymentStatus] = mapped_column(Vocabulary(PaymentStatus, 16))
    to_status: Mapped[PaymentStatus] = mapped_column(Vocabulary(PaymentStatus, 16))
    detail: Mapped[str] = mapped_column(String(200), default="")


class SettlementLine(Base):
    """One payment in a settlement report Suomi.fi Payments sent (the provider's side of
    the reconciliation): which settlement paid it out, when, and how much. Never who
    paid: the report's payer fields are not kept (central/payments/settlements.py)."""

    __tablename__ = "settlement_lines"
    __table_args__ = (UniqueConstraint("org_id", "settlement_id", "stamp"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    org_id: Mapped[str] = mapped_column(String(36), index=True)
    settlement_id: Mapped[str] = mapped_column(String(32))
    settlement_reference: Mapped[str] = mapped_column(String(64), default="")
    settled_on: Mapped[str] = mapped_column(String(10), default="")  # the provider's date
    stamp: Mapped[str] = mapped_column(String(200), index=True)  # ours: the payment's id
    reference: Mapped[str] = mapped_column(String(200), default="")
    amount_cents: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
