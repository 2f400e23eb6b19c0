"""Video appointment calendars, officials' absences, free times and booking them.

A provider's admin publishes calendars for their organisation's officials; an official
may publish their own. Free times are searched and booked by a service, a place (a
service point, or from home) and a language: the citizen picks a time, and central
gives it to an official who offers it (`central/appointments/`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import select

from central.access.policy import Access, allowed
from central.agreements import rules
from central.api.bookings import BookingOut, booking_out
from central.api.deps import secret_key_of
from central.api.schemas import CardId, errors
from central.appointments import booking as appointments
from central.appointments import calendars
from central.appointments.slots import Wanted, search, wanted_at
from central.calls import lifecycle
from central.db.models import Absence, AppointmentCalendar, Booking, Service, User
from central.db.types import utcnow
from central.errors import ApiError, forbidden, not_found
from contract.appointments import BookingChannel, VisitPlace
from contract.kiosk_api import BookingStatus
from contract.roles import Role

router = APIRouter(tags=["appointments"])

Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
SEARCH_DAYS = 31


class WeeklyPeriod(BaseModel):
    day: int = Field(ge=0, le=6, description="0 Monday … 6 Sunday")
    start: Clock
    end: Clock


class Period(BaseModel):
    start: Clock
    end: Clock


class CalendarIn(BaseModel):
    official_id: str | None = Field(
        default=None, max_length=64, description="Whose calendar; none: the caller's own."
    )
    service_id: str = Field(min_length=1, max_length=64)
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)
    places: list[VisitPlace] = Field(min_length=1, max_length=2)
    weekly: list[WeeklyPeriod] = Field(max_length=84)
    exceptions: dict[str, list[Period]] = Field(
        default_factory=dict,
        max_length=366,
        description='Days that differ: {"2026-12-24": []} closes the day; periods replace '
        "its weekly times.",
    )
    slot_minutes: int = Field(default=30, ge=10, le=240)
    book_ahead_days: int = Field(default=30, ge=1, le=365)
    notice_minutes: int = Field(default=120, ge=0, le=60 * 24 * 14)
    valid_from: date
    valid_until: date | None = None
    zone: str = Field(default="Europe/Helsinki", max_length=64)


class CalendarOut(CalendarIn):
    id: str
    org_id: str
    official_id: str


class CalendarList(BaseModel):
    items: list[CalendarOut]


def _calendar_out(c: AppointmentCalendar) -> CalendarOut:
    return CalendarOut(
        id=c.id,
        org_id=c.org_id,
        official_id=c.official_id,
        service_id=c.service_id,
        languages=c.languages,
        places=[VisitPlace(p) for p in c.places],
        weekly=[WeeklyPeriod(**p) for p in c.weekly],
        exceptions={d: [Period(**p) for p in ps] for d, ps in c.exceptions.items()},
        slot_minutes=c.slot_minutes,
        book_ahead_days=c.book_ahead_days,
        notice_minutes=c.notice_minutes,
        valid_from=date.fromisoformat(c.valid_from),
        valid_until=date.fromisoformat(c.valid_until) if c.valid_until else None,
        zone=c.zone,
    )


def _official_for(access: Access, official_id: str | None) -> User:
    """The official a calendar or absence is for: the caller themself, or (an admin) one
    of their organisation's officials."""
    me = access.person
    if official_id is None or official_id == me.user_id:
        if me.role != Role.OFFICIAL:
            raise ApiError(422, "invalid_input", "Name the official (official_id).")
        user = access.db.get(User, me.user_id)
        assert user is not None
        return user
    if me.role == Role.OFFICIAL:
        raise forbidden("An official publishes only their own times.")
    user = access.db.get(User, official_id)
    if user is None or user.role != Role.OFFICIAL:
        raise ApiError(422, "unknown_official", "official_id is no official.")
    if not access.may_touch_org(user.org_id or ""):
        raise forbidden("This official belongs to another organisation.")
    return user


def own_calendar(access: Access, calendar_id: str) -> AppointmentCalendar:
    calendar = access.own(
        access.db.get(AppointmentCalendar, calendar_id), lambda c: c.org_id, "calendar"
    )
    if access.person.role == Role.OFFICIAL and calendar.official_id != access.person.user_id:
        raise forbidden("This calendar is another official's.")
    return calendar


def fill_calendar(access: Access, calendar: AppointmentCalendar, body: CalendarIn) -> None:
    """The calendar as `body` says, checked (the API and the console's form alike)."""
    official = _official_for(access, body.official_id or calendar.official_id or None)
    if access.db.get(Service, body.service_id) is None:
        raise ApiError(422, "unknown_service", "service_id is not in the catalogue.")
    serves = lifecycle.profile_of(access.db, official.id).services or []
    if body.service_id not in serves:
        raise ApiError(
            422,
            "not_served",
            "This official does not serve this service: add it to what they serve first.",
        )
    calendar.official_id, calendar.org_id = official.id, str(official.org_id)
    calendar.service_id = body.service_id
    calendar.languages = sorted(set(body.languages))
    calendar.places = sorted({p.value for p in body.places})
    calendar.weekly = [p.model_dump() for p in body.weekly]
    calendar.exceptions = {
        d: [p.model_dump() for p in ps] for d, ps in sorted(body.exceptions.items())
    }
    calendar.slot_minutes = body.slot_minutes
    calendar.book_ahead_days = body.book_ahead_days
    calendar.notice_minutes = body.notice_minutes
    calendar.valid_from = body.valid_from.isoformat()
    calendar.valid_until = body.valid_until.isoformat() if body.valid_until else None
    calendar.zone = body.zone
    calendar.updated_at = utcnow()
    try:
        calendars.check(calendar)
    except calendars.CalendarError as exc:
        raise ApiError(422, "invalid_calendar", str(exc)) from exc


@router.get("/appointment-calendars", response_model=CalendarList, responses=errors(401, 403))
def list_calendars(
    official_id: str | None = Query(default=None, max_length=64),
    access: Access = Depends(allowed("calendar.manage")),
) -> CalendarList:
    query = select(AppointmentCalendar).where(access.org_filter(AppointmentCalendar.org_id))
    if access.person.role == Role.OFFICIAL:
        query = query.where(AppointmentCalendar.official_id == access.person.user_id)
    elif official_id:
        query = query.where(AppointmentCalendar.official_id == official_id)
    rows = access.db.scalars(query.order_by(AppointmentCalendar.created_at)).all()
    return CalendarList(items=[_calendar_out(c) for c in rows])


@router.post(
    "/appointment-calendars",
    status_code=201,
    response_model=CalendarOut,
    responses=errors(401, 403, 422),
)
def create_calendar(
    body: CalendarIn, access: Access = Depends(allowed("calendar.manage"))
) -> CalendarOut:
    calendar = AppointmentCalendar(official_id="", org_id="")
    fill_calendar(access, calendar, body)
    access.db.add(calendar)
    access.db.commit()
    return _calendar_out(calendar)


@router.put(
    "/appointment-calendars/{calendar_id}",
    response_model=CalendarOut,
    responses=errors(401, 403, 404, 422),
)
def replace_calendar(
    calendar_id: str, body: CalendarIn, access: Access = Depends(allowed("calendar.manage"))
) -> CalendarOut:
    """Replaces the calendar; bookings already made keep their times."""
    calendar = own_calendar(access, calendar_id)
    fill_calendar(access, calendar, body)
    access.db.commit()
    return _calendar_out(calendar)


@router.delete(
    "/appointment-calendars/{calendar_id}", status_code=204, responses=errors(401, 403, 404)
)
def delete_calendar(
    calendar_id: str, access: Access = Depends(allowed("calendar.manage"))
) -> Response:
    """No new bookings; bookings already made stay (cancel them one by one if need be)."""
    access.db.delete(own_calendar(access, calendar_id))
    access.db.commit()
    return Response(status_code=204)


class AbsenceIn(BaseModel):
    official_id: str | None = Field(default=None, max_length=64)
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> AbsenceIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > timedelta(days=366):
            raise ValueError("an absence is at most a year")
        return self


class AbsenceOut(BaseModel):
    id: str
    official_id: str
    starts_at: datetime
    ends_at: datetime
    bookings_inside: list[str] = Field(
        default_factory=list,
        description="Bookings already made in this time: they stay until moved or cancelled.",
    )


class AbsenceList(BaseModel):
    items: list[AbsenceOut]


def _absence_out(db: Any, absence: Absence, with_bookings: bool = False) -> AbsenceOut:
    inside: list[str] = []
    if with_bookings:
        inside = list(
            db.scalars(
                select(Booking.id).where(
                    Booking.official_id == absence.official_id,
                    Booking.status.in_((BookingStatus.BOOKED, BookingStatus.HELD)),
                    Booking.starts_at < absence.ends_at,
                    Booking.ends_at > absence.starts_at,
                )
            )
        )
    return AbsenceOut(
        id=absence.id,
        official_id=absence.official_id,
        starts_at=absence.starts_at,
        ends_at=absence.ends_at,
        bookings_inside=inside,
    )


@router.post("/absences", status_code=201, response_model=AbsenceOut, responses=errors(401, 403))
def create_absence(
    body: AbsenceIn, access: Access = Depends(allowed("calendar.manage"))
) -> AbsenceOut:
    """The official's slots in this time are no longer offered."""
    return add_absence(access, body.official_id, body.starts_at, body.ends_at)


def add_absence(
    access: Access, official_id: str | None, starts_at: datetime, ends_at: datetime
) -> AbsenceOut:
    """An absence of the caller's own, or (an admin) of one of their officials; commits."""
    official = _official_for(access, official_id)
    absence = Absence(
        org_id=str(official.org_id),
        official_id=official.id,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
    )
    access.db.add(absence)
    access.db.commit()
    return _absence_out(access.db, absence, with_bookings=True)


@router.get("/absences", response_model=AbsenceList, responses=errors(401, 403))
def list_absences(access: Access = Depends(allowed("calendar.manage"))) -> AbsenceList:
    query = select(Absence).where(access.org_filter(Absence.org_id), Absence.ends_at > utcnow())
    if access.person.role == Role.OFFICIAL:
        query = query.where(Absence.official_id == access.person.user_id)
    rows = access.db.scalars(query.order_by(Absence.starts_at)).all()
    return AbsenceList(items=[_absence_out(access.db, a) for a in rows])


@router.delete("/absences/{absence_id}", status_code=204, responses=errors(401, 403, 404))
def delete_absence(
    absence_id: str, access: Access = Depends(allowed("calendar.manage"))
) -> Response:
    absence = access.own(access.db.get(Absence, absence_id), lambda a: a.org_id, "absence")
    if access.person.role == Role.OFFICIAL and absence.official_id != access.person.user_id:
        raise forbidden("This absence is another official's.")
    access.db.delete(absence)
    access.db.commit()
    return Response(status_code=204)


class FreeTime(BaseModel):
    starts_at: datetime
    ends_at: datetime


class FreeTimes(BaseModel):
    days: list[date] = Field(description="Days of the next month with any free time.")
    day: date | None = Field(
        description="The day `times` are for: the one asked, or the first free."
    )
    times: list[FreeTime]


def wanted_for(
    db: Any, service_id: str, place: VisitPlace, site_id: str | None, language: str | None
) -> Wanted:
    """`slots.wanted_at`, with the API's answers for a missing or unknown site."""
    if place == VisitPlace.SERVICE_POINT and not site_id:
        raise ApiError(422, "invalid_input", "site_id is needed for a service point.")
    wanted = wanted_at(db, service_id, place, site_id, language)
    if wanted is None:
        raise not_found("site")
    return wanted


@router.get("/appointments/free", response_model=FreeTimes, responses=errors(401, 403, 404, 422))
def free_times(
    service_id: str = Query(min_length=1, max_length=64),
    place: VisitPlace = Query(),
    site_id: str | None = Query(default=None, max_length=64),
    language: str | None = Query(default=None, pattern=r"^[a-z]{2}$"),
    day: date | None = Query(default=None),
    access: Access = Depends(allowed("booking.write")),
) -> FreeTimes:
    """Free times over the next month; one day's times (`day`, else the first free day)."""
    wanted = wanted_for(access.db, service_id, place, site_id, language)
    return free_times_of(access.db, _only_own(access, wanted), day)


def _only_own(access: Access, wanted: Wanted) -> Wanted:
    """Through the API an organisation books its own officials' times (the national
    admin anyone's); citizens on the web and at kiosks see every provider's. Another
    organisation's service point only where an agreement lets the caller's serve the
    service there (as POST /bookings); otherwise it is out of reach."""
    if access.is_national:
        return wanted
    mine = access.person.org_id or ""
    if wanted.place == VisitPlace.SERVICE_POINT and wanted.host_org_id != mine:
        assert wanted.site_id is not None and wanted.host_org_id is not None
        route = rules.route_for(
            access.db, wanted.host_org_id, wanted.site_id, wanted.service_id, None, utcnow()
        )
        if route is None or route.provider_id != mine:
            raise forbidden(
                "This service point belongs to another organisation, and no agreement of "
                "yours covers this service there."
            )
    return replace(wanted, provider_id=mine)


def free_times_of(db: Any, wanted: Wanted, day: date | None) -> FreeTimes:
    found = search(db, wanted, utcnow(), SEARCH_DAYS)
    days = found.days(SEARCH_DAYS)
    shown = day or (days[0] if days else None)
    times = found.times(shown) if shown else []
    return FreeTimes(
        days=days,
        day=shown,
        times=[FreeTime(starts_at=s.starts_at, ends_at=s.ends_at) for s in times],
    )


class AppointmentIn(BaseModel):
    service_id: str = Field(min_length=1, max_length=64)
    place: VisitPlace
    site_id: str | None = Field(default=None, max_length=64)
    language: LanguageCode
    starts_at: AwareDatetime
    name: str = Field(min_length=1, max_length=60)
    email: str | None = Field(
        default=None, max_length=appointments.MAX_EMAIL, pattern=appointments.EMAIL_PATTERN
    )
    interpreter_language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    card_id: CardId = None


class AppointmentOut(BookingOut):
    place: VisitPlace | None
    channel: BookingChannel
    language: str | None


def appointment_out(secret: bytes, booking: Booking) -> AppointmentOut:
    return AppointmentOut(
        **booking_out(secret, booking).model_dump(),
        place=booking.place,
        channel=booking.channel,
        language=booking.language,
    )


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentOut,
    responses=errors(401, 403, 404, 409, 422),
)
def book_appointment(
    body: AppointmentIn, request: Request, access: Access = Depends(allowed("booking.write"))
) -> AppointmentOut:
    """Book a free time (409 `slot_taken` when someone was quicker)."""
    wanted = wanted_for(access.db, body.service_id, body.place, body.site_id, body.language)
    wanted = _only_own(access, wanted)
    booked = appointments.book(
        access.db,
        secret_key_of(request),
        wanted,
        body.starts_at.astimezone(UTC),
        appointments.Citizen(body.name, body.email, body.interpreter_language, body.card_id),
        BookingChannel.BOOKING_SYSTEM,
        utcnow(),
    )
    return appointment_out(secret_key_of(request), booked.booking)
