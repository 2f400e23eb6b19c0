"""Booking a video appointment at a kiosk, and finding, changing or cancelling one by its
code at any kiosk. The citizen sits at this kiosk's service point for the visit, or at
home; the answer carries what the kiosk prints (code, time, place, links) and, for a
visit here, the booking itself so the kiosk checks it in without waiting for a sync."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from central.api.appointments import free_times_of, wanted_for
from central.api.deps import DeviceDep, SessionDep, secret_key_of, settings_of
from central.api.schemas import CardId, Done, errors
from central.appointments import booking as appointments
from central.appointments.slots import Wanted, wanted_at
from central.book import mails
from central.bookings import issuing
from central.db.models import Booking, Site
from central.db.types import utcnow
from central.errors import ApiError
from central.fleet.kiosk_sync import booking_item
from central.web import rate_limit
from central.web.links import public_base
from contract import appointments as contract
from contract import codes as contract_codes
from contract.appointments import BookingChannel, VisitPlace
from contract.kiosk_api import BookingStatus

router = APIRouter(prefix="/kiosk/appointments", tags=["kiosk appointments"])
SEARCH_DAYS = 31
HOUR = timedelta(hours=1)
CODE_TRIES_PER_KIOSK_HOUR = 30  # a citizen mistypes; a script guessing codes is stopped
MAILS_PER_ADDRESS_HOUR = 3


def _wanted(db: Any, device: Any, service_id: str, place: VisitPlace, language: str) -> Wanted:
    return wanted_for(
        db,
        service_id,
        place,
        device.site_id if place == VisitPlace.SERVICE_POINT else None,
        language,
    )


@router.get("/free", response_model=contract.KioskFreeTimes, responses=errors(401, 403, 422))
def free(
    device: DeviceDep,
    db: SessionDep,
    service_id: str = Query(min_length=1, max_length=64),
    language: str = Query(pattern=r"^[a-z]{2}$"),
    place: VisitPlace = Query(default=VisitPlace.SERVICE_POINT),
    day: date | None = Query(default=None),
) -> dict[str, Any]:
    """Free times for a visit at this kiosk's service point (or from home)."""
    found = free_times_of(db, _wanted(db, device, service_id, place, language), day)
    db.commit()
    return {
        "days": [d.isoformat() for d in found.days],
        "day": found.day.isoformat() if found.day else None,
        "times": [
            {"starts_at": t.starts_at.isoformat(), "ends_at": t.ends_at.isoformat()}
            for t in found.times
        ],
    }


class KioskBookingIn(BaseModel):
    service_id: str = Field(min_length=1, max_length=64)
    language: str = Field(pattern=r"^[a-z]{2}$")
    place: VisitPlace = VisitPlace.SERVICE_POINT
    starts_at: AwareDatetime
    name: str = Field(default="", max_length=60)
    email: str | None = Field(
        default=None, max_length=appointments.MAX_EMAIL, pattern=appointments.EMAIL_PATTERN
    )
    interpreter_language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    ui_language: str = Field(default="fi", pattern=r"^(fi|sv|en)$")
    card_id: CardId = None  # the card the citizen put in the reader while booking


def _answer(
    request: Request, db: Any, booking: Booking, code: str, language: str, mailed: bool
) -> dict[str, Any]:
    secret = secret_key_of(request)
    found = mails.links_of(secret, public_base(request), booking, language)
    site = db.get(Site, booking.site_id) if booking.site_id else None
    answer = contract.KioskAppointment(
        id=booking.id,
        code=contract_codes.format_code(code) if code else "",
        service_id=booking.service_id,
        starts_at=booking.starts_at.isoformat(),
        ends_at=booking.ends_at.isoformat(),
        place=VisitPlace(booking.place or VisitPlace.SERVICE_POINT),
        site_name=site.name if site else "",
        manage_url=found.manage,
        visit_url=found.visit,
        mailed=mailed,
        booking=booking_item(booking, site) if site is not None else None,
    )
    return answer.__dict__


def _mail_allowed(db: Any, email: str | None) -> bool:
    if not email:
        return False
    key = rate_limit.key_for("kiosk-mail", email)
    return rate_limit.allow(db, key, MAILS_PER_ADDRESS_HOUR, HOUR, utcnow())


@router.post(
    "",
    status_code=201,
    response_model=contract.KioskAppointment,
    responses=errors(401, 403, 409, 422),
)
def book(
    body: KioskBookingIn, request: Request, device: DeviceDep, db: SessionDep
) -> dict[str, Any]:
    """Booked at once (the citizen is at the kiosk); the receipt is the proof. With an
    e-mail address, the confirmation goes there too (a few an hour per address)."""
    wanted = _wanted(db, device, body.service_id, body.place, body.language)
    booked = appointments.book(
        db,
        secret_key_of(request),
        wanted,
        body.starts_at.astimezone(UTC),
        appointments.Citizen(body.name, body.email, body.interpreter_language, body.card_id),
        BookingChannel.KIOSK,
        utcnow(),
    )
    mailed = False
    if _mail_allowed(db, body.email):
        db.commit()
        mailed = mails.mail_booked(
            db,
            settings_of(request),
            secret_key_of(request),
            public_base(request),
            booked.booking,
            body.ui_language,
        )
    db.commit()
    return _answer(request, db, booked.booking, booked.code, body.ui_language, mailed)


class CodeIn(BaseModel):
    code: str = Field(min_length=4, max_length=20)
    ui_language: str = Field(default="fi", pattern=r"^(fi|sv|en)$")


class ChangeIn(CodeIn):
    starts_at: AwareDatetime
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")


def _by_code(db: Any, request: Request, device: Any, code: str) -> Booking:
    key = rate_limit.key_for("kiosk-code", device.kiosk_id)
    allowed = rate_limit.allow(db, key, CODE_TRIES_PER_KIOSK_HOUR, HOUR, utcnow())
    db.commit()
    if not allowed:
        raise ApiError(429, "too_many_tries", "Too many booking codes tried here; try later.")
    typed = re.sub(r"[^0-9A-Za-z]", "", code)
    booking = issuing.find_anywhere(db, secret_key_of(request), typed)
    if booking is None or booking.status != BookingStatus.BOOKED:
        raise ApiError(404, "not_found", "No video appointment has this code.")
    return booking


@router.post(
    "/find", response_model=contract.KioskAppointment, responses=errors(401, 403, 404, 429)
)
def find(body: CodeIn, request: Request, device: DeviceDep, db: SessionDep) -> dict[str, Any]:
    """A video appointment by its code, booked anywhere (to change or cancel it)."""
    booking = _by_code(db, request, device, body.code)
    return _answer(request, db, booking, "", body.ui_language, False)


@router.post("/cancel", response_model=Done, responses=errors(401, 403, 404, 429))
def cancel(body: CodeIn, request: Request, device: DeviceDep, db: SessionDep) -> dict[str, Any]:
    booking = _by_code(db, request, device, body.code)
    appointments.cancel(db, booking)
    return {"status": BookingStatus.CANCELLED.value}


@router.post(
    "/change",
    status_code=201,
    response_model=contract.KioskAppointment,
    responses=errors(401, 403, 404, 409, 429),
)
def change(body: ChangeIn, request: Request, device: DeviceDep, db: SessionDep) -> dict[str, Any]:
    """Another time for the same service and place: the new booking (and code) first,
    then the old one let go."""
    booking = _by_code(db, request, device, body.code)
    place = VisitPlace(booking.place or VisitPlace.SERVICE_POINT)
    wanted = wanted_at(
        db, booking.service_id, place, booking.site_id, body.language or booking.language
    )
    if wanted is None:
        raise ApiError(404, "not_found", "The booking's service point is gone.")
    new = appointments.change(
        db, secret_key_of(request), booking, wanted, body.starts_at.astimezone(UTC), utcnow()
    )
    return _answer(request, db, new.booking, new.code, body.ui_language, False)
