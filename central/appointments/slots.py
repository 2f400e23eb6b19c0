"""The free video appointment times for a service: which days have any, and the times
on one day. A citizen picks a time, not an official: booking it gives it to the first
official of the calendars offering it who is still free (`central/appointments/booking.py`).

Everything a search needs is read in four queries (calendars, absences, claims, and for
a service point its agreements); the days are then walked in memory, so a month of 500
officials' calendars answers in milliseconds (`bench/appointments.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.agreements import rules
from central.appointments import calendars
from central.db.models import (
    Absence,
    Agreement,
    AppointmentCalendar,
    Booking,
    Site,
    SlotClaim,
    User,
)
from contract.agreements import AgreementKind, AgreementStatus
from contract.appointments import GRID_MINUTES, VisitPlace
from contract.roles import Role

HOME_ZONE = ZoneInfo("Europe/Helsinki")  # days of a visit from home: Finnish days


@dataclass(frozen=True)
class Wanted:
    """What the citizen asks for: a service, where they will sit, in which language."""

    service_id: str
    place: VisitPlace
    site_id: str | None = None  # the service point, for VisitPlace.SERVICE_POINT
    host_org_id: str | None = None  # the service point's organisation
    zone: ZoneInfo = HOME_ZONE  # whose days: the service point's, or Finland's
    language: str | None = None
    provider_id: str | None = None  # only this organisation's officials (None: any)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    calendar_id: str
    official_id: str
    org_id: str


@dataclass
class Search:
    """One search's loaded rows; `days` and `times` walk them."""

    wanted: Wanted
    now: datetime
    offering: list[AppointmentCalendar]
    absences: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    claimed: set[tuple[str, datetime]] = field(default_factory=set)
    agreements: list[Agreement] = field(default_factory=list)
    owner: str | None = None

    def _serves(self, calendar: AppointmentCalendar, at: datetime) -> bool:
        if self.wanted.place == VisitPlace.HOME:
            return True
        assert self.wanted.site_id and self.wanted.host_org_id
        route = rules.route_among(
            self.agreements,
            self.wanted.host_org_id,
            self.wanted.site_id,
            self.wanted.service_id,
            self.wanted.language,
            self.owner,
            at,
        )
        return route is not None and route.provider_id == calendar.org_id

    def _free(self, calendar: AppointmentCalendar, at: datetime) -> bool:
        end = at + timedelta(minutes=calendar.slot_minutes)
        for start, stop in self.absences.get(calendar.official_id, ()):
            if start < end and at < stop:
                return False
        step = timedelta(minutes=GRID_MINUTES)
        moment = at
        while moment < end:
            if (calendar.official_id, moment) in self.claimed:
                return False
            moment += step
        return True

    def slots_on(self, day: date, first_only: bool = False) -> Iterator[Slot]:
        """Free slots starting on `day` (a day in the wanted zone), calendar by calendar."""
        day_start = datetime.combine(day, datetime.min.time(), tzinfo=self.wanted.zone)
        day_end = day_start + timedelta(days=1)
        for calendar in self.offering:
            earliest, latest = calendars.bookable_window(calendar, self.now)
            # The calendar's own days that overlap this day in the wanted zone.
            own = ZoneInfo(calendar.zone)
            first = day_start.astimezone(own).date()
            last = (day_end - timedelta(seconds=1)).astimezone(own).date()
            own_day = first
            while own_day <= last:
                for period in calendars.periods_on(calendar, own_day):
                    for at in calendars.slot_starts(calendar, period):
                        if not (day_start <= at < day_end and earliest <= at <= latest):
                            continue
                        if not self._free(calendar, at) or not self._serves(calendar, at):
                            continue
                        yield Slot(
                            at,
                            at + timedelta(minutes=calendar.slot_minutes),
                            calendar.id,
                            calendar.official_id,
                            calendar.org_id,
                        )
                        if first_only:
                            return
                own_day += timedelta(days=1)

    def days(self, count: int) -> list[date]:
        """The days, from today on, with at least one free time."""
        today = self.now.astimezone(self.wanted.zone).date()
        found = []
        for n in range(count + 1):
            day = today + timedelta(days=n)
            if any(True for _ in self.slots_on(day, first_only=True)):
                found.append(day)
        return found

    def times(self, day: date) -> list[Slot]:
        """One slot for each free start time of the day (the first official's), by time."""
        by_time: dict[datetime, Slot] = {}
        for slot in self.slots_on(day):
            by_time.setdefault(slot.starts_at, slot)
        return [by_time[at] for at in sorted(by_time)]

    def at(self, starts_at: datetime) -> list[Slot]:
        """Every free slot starting exactly then: whom booking that time may go to."""
        day = starts_at.astimezone(self.wanted.zone).date()
        return [s for s in self.slots_on(day) if s.starts_at == starts_at]


def search(db: Session, wanted: Wanted, now: datetime, days: int = 31) -> Search:
    """Load what a search over the next `days` days needs."""
    now = now.astimezone(UTC)
    horizon = now + timedelta(days=days + 1)
    rows = db.scalars(
        select(AppointmentCalendar)
        .join(User, User.id == AppointmentCalendar.official_id)
        .where(
            AppointmentCalendar.service_id == wanted.service_id,
            User.role == Role.OFFICIAL,
            User.disabled_at.is_(None),
        )
        .order_by(AppointmentCalendar.created_at, AppointmentCalendar.id)
    ).all()
    offering = [
        c
        for c in rows
        if wanted.place.value in c.places
        and (wanted.language is None or wanted.language in c.languages)
        and (wanted.provider_id is None or c.org_id == wanted.provider_id)
    ]
    found = Search(wanted, now, offering)
    officials = sorted({c.official_id for c in offering})
    if not officials:
        return found
    for official, start, end in db.execute(
        select(Absence.official_id, Absence.starts_at, Absence.ends_at).where(
            Absence.official_id.in_(officials), Absence.ends_at > now, Absence.starts_at < horizon
        )
    ):
        found.absences.setdefault(official, []).append((start, end))
    found.claimed = {
        (official, at)
        for official, at in db.execute(
            select(SlotClaim.official_id, SlotClaim.at)
            .join(Booking, Booking.id == SlotClaim.booking_id)
            .where(
                SlotClaim.official_id.in_(officials),
                SlotClaim.at >= now,
                SlotClaim.at < horizon,
                # A hold whose proof never came frees its time (released on the next booking).
                or_(Booking.hold_until.is_(None), Booking.hold_until >= now),
            )
        )
    }
    if wanted.place == VisitPlace.SERVICE_POINT:
        assert wanted.host_org_id is not None
        found.agreements = rules.active_agreements(db, AgreementKind.SERVICE, wanted.host_org_id)
        found.owner = rules.owner_of(db, wanted.service_id)
    return found


@dataclass(frozen=True)
class Offer:
    """Where a service's video appointments can be had, and in which languages."""

    home: bool
    site_ids: list[str]
    languages: list[str]
    org_ids: list[str]


def offer_of(db: Session, service_id: str, now: datetime) -> Offer:
    """From home if any calendar offers it; at each service point whose organisation's
    own officials, or a provider under an agreement, have a calendar for it."""
    today = now.astimezone(HOME_ZONE).date().isoformat()
    rows = db.scalars(
        select(AppointmentCalendar)
        .join(User, User.id == AppointmentCalendar.official_id)
        .where(
            AppointmentCalendar.service_id == service_id,
            User.role == Role.OFFICIAL,
            User.disabled_at.is_(None),
            or_(
                AppointmentCalendar.valid_until.is_(None), AppointmentCalendar.valid_until >= today
            ),
        )
    ).all()
    at_points = {c.org_id for c in rows if VisitPlace.SERVICE_POINT.value in c.places}
    site_ids: list[str] = []
    if at_points:
        owner = rules.owner_of(db, service_id)
        agreements: dict[str, list[Agreement]] = {}
        for agreement in db.scalars(
            select(Agreement)
            .where(
                Agreement.kind == AgreementKind.SERVICE, Agreement.status == AgreementStatus.ACTIVE
            )
            .order_by(Agreement.accepted_at, Agreement.id)
        ):
            agreements.setdefault(agreement.host_org_id, []).append(agreement)
        for site_id, host in db.execute(select(Site.id, Site.org_id).order_by(Site.name)):
            route = rules.route_among(
                agreements.get(host, []), host, site_id, service_id, None, owner, now
            )
            if route is not None and route.provider_id in at_points:
                site_ids.append(site_id)
    return Offer(
        home=any(VisitPlace.HOME.value in c.places for c in rows),
        site_ids=site_ids,
        languages=sorted({lang for c in rows for lang in c.languages}),
        org_ids=sorted({c.org_id for c in rows}),
    )


def services_offered(db: Session, now: datetime) -> list[str]:
    """Services any enabled official has a current calendar for."""
    today = now.astimezone(HOME_ZONE).date().isoformat()
    return list(
        db.scalars(
            select(AppointmentCalendar.service_id)
            .join(User, User.id == AppointmentCalendar.official_id)
            .where(
                User.role == Role.OFFICIAL,
                User.disabled_at.is_(None),
                or_(
                    AppointmentCalendar.valid_until.is_(None),
                    AppointmentCalendar.valid_until >= today,
                ),
            )
            .distinct()
        )
    )
