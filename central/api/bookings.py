"""Bookings pushed by booking systems; kiosks check citizens in against them."""

from __future__ import annotations

from datetime import UTC
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.access.policy import Access, allowed
from central.agreements import rules
from central.api.deps import secret_key_of
from central.api.schemas import CardId, errors
from central.appointments import booking as appointments
from central.bookings import issuing
from central.catalogue import changes
from central.db.models import Booking, Service, Site, User, new_id
from central.errors import ApiError, forbidden, not_found
from contract import codes as contract_codes
from contract.roles import Role

# Bookings outside these years are typing mistakes; they would also overflow time arithmetic.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

router = APIRouter(tags=["bookings"])


class BookingIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    site_id: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    display_name: str = Field(
        min_length=1, max_length=40, description="Short name shown on the kiosk, e.g. 'Maija V.'"
    )
    mode: Literal["in_person", "remote"] = "in_person"
    official_id: str | None = Field(
        default=None,
        max_length=64,
        description="For a remote booking: the official whose queue the citizen joins at "
        "check-in (a user with role official in the site's organisation). None: anyone "
        "who serves the service in the citizen's language.",
    )
    interpreter_language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,3}$",
        description="For a remote booking: the language of the interpreter the citizen "
        "needs (ISO 639). Interpreters of it are asked for as the official answers.",
    )
    card_id: CardId = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> BookingIn:
        for moment in (self.starts_at, self.ends_at):
            # Checked before converting: year 1 or 9999 with an offset overflows the
            # conversion to UTC (OverflowError, which answered 500).
            if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR or not (
                EARLIEST_YEAR <= moment.astimezone(UTC).year <= LATEST_YEAR
            ):
                raise ValueError(f"booking times must be in {EARLIEST_YEAR}-{LATEST_YEAR}")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class BookingOut(BaseModel):
    id: str
    external_id: str
    code: str
    site_id: str | None
    service_id: str
    starts_at: str
    ends_at: str
    display_name: str
    mode: str
    status: str
    official_id: str | None = None
    interpreter_language: str | None = None


def booking_out(secret: bytes, b: Booking) -> BookingOut:
    return BookingOut(
        id=b.id,
        external_id=b.external_id,
        code=contract_codes.format_code(issuing.plain_code(secret, b)),
        site_id=b.site_id,
        service_id=b.service_id,
        starts_at=b.starts_at.isoformat(),
        ends_at=b.ends_at.isoformat(),
        display_name=b.display_name,
        mode=b.mode,
        status=b.status,
        official_id=b.official_id,
        interpreter_language=b.interpreter_language,
    )


def _existing(db: Session, org_id: str, external_id: str) -> Booking | None:
    return db.scalar(
        select(Booking).where(Booking.org_id == org_id, Booking.external_id == external_id)
    )


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingOut,
    responses={200: {"model": BookingOut}, **errors(401, 403, 404, 409, 422)},
)
def create_booking(
    body: BookingIn,
    request: Request,
    response: Response,
    access: Access = Depends(allowed("booking.write")),
) -> BookingOut:
    """A booking at one of the organisation's own sites, or (a provider's booking system)
    at a host's site where an agreement lets the provider serve the service there."""
    db = access.db
    secret: bytes = secret_key_of(request)
    site, owner = _bookable_site(access, body)
    existing = _existing(db, owner, body.external_id)
    if existing is not None:
        response.status_code = 200
        return booking_out(secret, existing)
    if db.get(Service, body.service_id) is None:
        raise ApiError(422, "unknown_service", "service_id is not in the catalogue.")
    if body.official_id is not None:
        # The booking's official serves the service at the site: the host's own, or the
        # provider's under the agreement covering it.
        route = rules.route_for(
            db, site.org_id, site.id, body.service_id, None, body.starts_at.astimezone(UTC)
        )
        official = db.get(User, body.official_id)
        if (
            official is None
            or official.role != Role.OFFICIAL
            or route is None
            or official.org_id != route.provider_id
        ):
            raise ApiError(
                422, "unknown_official", "official_id is no official who serves this site."
            )
        if body.mode != "remote":
            raise ApiError(422, "invalid_input", "official_id is for remote bookings.")
    if body.interpreter_language is not None and body.mode != "remote":
        raise ApiError(422, "invalid_input", "interpreter_language is for remote bookings.")
    booking = Booking(
        id=new_id(),
        org_id=owner,
        external_id=body.external_id,
        site_id=site.id,
        service_id=body.service_id,
        starts_at=body.starts_at.astimezone(UTC),
        ends_at=body.ends_at.astimezone(UTC),
        display_name=body.display_name.strip(),
        mode=body.mode,
        official_id=body.official_id,
        interpreter_language=body.interpreter_language,
    )
    issuing.give_code(db, secret, booking, body.card_id)
    db.add(booking)
    try:
        db.flush()
        changes.record(db, [site.id], changes.BOOKING, booking.id, deleted=False)
        changes.prune(db, site)
        db.commit()
    except IntegrityError:
        # A concurrent request with the same external_id won the race.
        db.rollback()
        existing = _existing(db, owner, body.external_id)
        if existing is None:
            raise
        response.status_code = 200
        return booking_out(secret, existing)
    return booking_out(secret, booking)


def _bookable_site(access: Access, body: BookingIn) -> tuple[Site, str]:
    """(the site, the organisation the booking belongs to). Another organisation's site
    only under an agreement in force at the booking's start that covers the service
    there; otherwise it is out of reach like any other organisation's row."""
    site = access.db.get(Site, body.site_id)
    if site is None:
        raise not_found("site")
    mine = access.person.org_id
    if access.is_national or site.org_id == mine or mine is None:
        return access.site(body.site_id), site.org_id
    route = rules.route_for(
        access.db, site.org_id, site.id, body.service_id, None, body.starts_at.astimezone(UTC)
    )
    if route is None or route.provider_id != mine:
        raise forbidden(
            "This site belongs to another organisation, and no agreement of yours covers "
            "this service there."
        )
    return site, mine


@router.get("/bookings/{booking_id}", response_model=BookingOut, responses=errors(401, 403, 404))
def get_booking(
    booking_id: str, request: Request, access: Access = Depends(allowed("booking.write"))
) -> BookingOut:
    return booking_out(secret_key_of(request), access.booking(booking_id))


@router.delete("/bookings/{booking_id}", response_model=BookingOut, responses=errors(401, 403, 404))
def cancel_booking(
    booking_id: str, request: Request, access: Access = Depends(allowed("booking.write"))
) -> BookingOut:
    """Cancels; a video appointment's time is free again at once."""
    booking = access.booking(booking_id)
    appointments.cancel(access.db, booking)
    return booking_out(secret_key_of(request), booking)
