"""The free video appointment times for a service: which days have any, and the times
on one day. A citizen picks a time, not an official: booking it gives it to the first
official of the calendars offering it who is still free (`central/appointments/booking.py`).

Everything a search needs is read in four queries (calendars, absences, claims, and for
a service point its agreements); the days are then walked in memory, so a month of 500
officials' calendars answers in milliseconds (`bench/appointments.py`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from central.agreements import rules
from central.appointments import calendars
from central.db.models import (
    Absence,
    Agreement,
    AppointmentCalendar,
    Booking,
    Site,
    User,
)
from contract.agreements import AgreementKind, AgreementStatus
from contract.appointments import VisitPlace
from contract.kiosk_api import BookingStatus
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


def wanted_at(
    db: Session, service_id: str, place: VisitPlace, site_id: str | None, language: str | None
) -> Wanted | None:
    """A search's terms with the service point's organisation and time zone; None when
    a service point is named that central does not have (or none is named)."""
    if place == VisitPlace.HOME:
        return Wanted(service_id, place, language=language)
    site = db.get(Site, site_id) if site_id else None
    if site is None:
        return None
    return Wanted(service_id, place, site.id, site.org_id, ZoneInfo(site.timezone), language)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    calendar_id: str
    official_id: str
    org_id: str


# The states of a booking that hold its official's time (a hold: until it runs out).
HOLDING = (
    BookingStatus.BOOKED,
    BookingStatus.CHECKED_IN,
    BookingStatus.NO_SHOW,
    BookingStatus.HELD,
)
BATCH = 25  # officials whose day counts one query asks at once
Held = list[tuple[datetime, datetime]]  # an official's held times on a day


@dataclass
class Search:
    """One search: the calendars offering the service, their officials' absences, and
    (asked for as needed) the times their bookings hold.

    `days` decides most days from counts (an official's bookings on a day against the
    slots their calendar has that day), officials a batch at a time, usually one query
    for the month; a day the counts cannot settle is looked at time by time. `times`
    and `at` are exact: that day's bookings, slot by slot."""

    db: Session
    wanted: Wanted
    now: datetime
    offering: list[AppointmentCalendar]
    absences: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    agreements: list[Agreement] = field(default_factory=list)
    owner: str | None = None
    _booked: dict[date, dict[str, list[tuple[datetime, datetime]]]] = field(default_factory=dict)
    _providers: dict[date, str | None] = field(default_factory=dict)
    _alike: dict[tuple[Any, ...], tuple[datetime, ...]] = field(default_factory=dict)
    _patterns: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _days: dict[date, tuple[datetime, datetime]] = field(default_factory=dict)

    # -- what a day holds ----------------------------------------------------------------

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        found = self._days.get(day)
        if found is None:
            start = datetime.combine(day, datetime.min.time(), tzinfo=self.wanted.zone)
            found = start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
            self._days[day] = found
        return found

    def _holding(self) -> ColumnElement[bool]:
        return and_(
            Booking.status.in_(HOLDING),
            or_(Booking.hold_until.is_(None), Booking.hold_until >= self.now),
        )

    def held_on(
        self, day: date, officials: list[str]
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """These officials' held times overlapping the day; each official read once a
        day, as many as are asked for in one query."""
        known = self._booked.setdefault(day, {})
        missing = sorted({o for o in officials if o not in known})
        if missing:
            start, end = self._bounds(day)
            for official in missing:
                known[official] = []
            for part in range(0, len(missing), 500):
                for who, begins, ends in self.db.connection().execute(
                    select(Booking.official_id, Booking.starts_at, Booking.ends_at).where(
                        Booking.official_id.in_(missing[part : part + 500]),
                        Booking.starts_at < end,
                        Booking.ends_at > start,
                        self._holding(),
                    )
                ):
                    known[str(who)].append((begins, ends))
        return known

    def _provider_on(self, day: date) -> str | None:
        """Whose officials serve the service at the wanted service point that day."""
        if day not in self._providers:
            assert self.wanted.site_id and self.wanted.host_org_id
            route = rules.route_among(
                self.agreements,
                self.wanted.host_org_id,
                self.wanted.site_id,
                self.wanted.service_id,
                self.wanted.language,
                self.owner,
                self._bounds(day)[0],
            )
            self._providers[day] = route.provider_id if route else None
        return self._providers[day]

    def _serves(self, calendar: AppointmentCalendar, day: date) -> bool:
        if self.wanted.place == VisitPlace.HOME:
            return True
        return self._provider_on(day) == calendar.org_id

    def _free(
        self, calendar: AppointmentCalendar, at: datetime, held: list[tuple[datetime, datetime]]
    ) -> bool:
        end = at + timedelta(minutes=calendar.slot_minutes)
        for start, stop in self.absences.get(calendar.official_id, ()):
            if start < end and at < stop:
                return False
        return not any(start < end and at < stop for start, stop in held)

    # -- a calendar's slots on a day -----------------------------------------------------

    def _pattern(self, calendar: AppointmentCalendar) -> tuple[Any, ...]:
        found = self._patterns.get(calendar.id)
        if found is None:
            found = _kept_pattern(calendar) or pattern_of(calendar)
            self._patterns[calendar.id] = found
        return found

    def _starts(self, calendar: AppointmentCalendar, day: date) -> tuple[datetime, ...]:
        """The calendar's slot starts on `day` (in the wanted zone) that may be booked now."""
        key = (day, self._pattern(calendar))
        found = self._alike.get(key)
        if found is None:
            day_start, day_end = self._bounds(day)
            earliest, latest = calendars.bookable_window(calendar, self.now)
            own = ZoneInfo(calendar.zone)
            own_day = day_start.astimezone(own).date()
            last = (day_end - timedelta(microseconds=1)).astimezone(own).date()
            starts: list[datetime] = []
            while own_day <= last:
                for period in calendars.periods_on(calendar, own_day):
                    starts += [
                        at
                        for at in calendars.slot_starts(calendar, period)
                        if day_start <= at < day_end and earliest <= at <= latest
                    ]
                own_day += timedelta(days=1)
            found = self._alike[key] = tuple(starts)
        return found

    def _capacity(self, calendar: AppointmentCalendar, day: date) -> int:
        """How many slots the calendar has that day, bookable now."""
        return len(self._starts(calendar, day))

    def slots_on(self, day: date) -> Iterator[Slot]:
        """Free slots starting on `day` (a day in the wanted zone), calendar by calendar."""
        held = self.held_on(day, [c.official_id for c in self.offering])
        for calendar in self.offering:
            if not self._serves(calendar, day):
                continue
            mine = held.get(calendar.official_id, [])
            for at in self._starts(calendar, day):
                if self._free(calendar, at, mine):
                    yield Slot(
                        at,
                        at + timedelta(minutes=calendar.slot_minutes),
                        calendar.id,
                        calendar.official_id,
                        calendar.org_id,
                    )

    # -- what the citizen sees -----------------------------------------------------------

    def days(self, count: int) -> list[date]:
        """The days, from today on, with at least one free time.

        A whole day is decided by counts: an official whose calendar has more slots that
        day than they have bookings is free then. Days the bookable window cuts (today,
        after `now` and the notice; the last, at the horizon) and days the counts cannot
        settle (an absence, bookings of another calendar) are looked at slot by slot,
        a batch of officials at a time, until someone is free."""
        today = self.now.astimezone(self.wanted.zone).date()
        every = [today + timedelta(days=n) for n in range(count + 1)]
        found: set[date] = set()
        unsettled: set[date] = set(self._cut_days(every))
        open_days = set(every) - unsettled
        # Calendars with no slot on any open day need no counting: by their pattern.
        patterns: dict[tuple[Any, ...], AppointmentCalendar] = {}
        for calendar in self.offering:
            patterns.setdefault(self._pattern(calendar), calendar)
        for part in range(0, len(self.offering), BATCH):
            # Patterns with a slot on a day still open (weekends drop out at once).
            live = {
                key
                for key, calendar in patterns.items()
                if any(self._capacity(calendar, day) for day in open_days)
            }
            if not live:
                break
            batch = [c for c in self.offering[part : part + BATCH] if self._pattern(c) in live]
            if not any(self._serves(c, day) for day in open_days for c in batch):
                continue  # nothing to count: no slots in these calendars on the open days
            counts = self._counts({c.official_id for c in batch}, every)
            for index, day in enumerate(every):
                if day not in open_days:
                    continue
                for calendar in batch:
                    if not self._serves(calendar, day):
                        continue
                    capacity = self._capacity(calendar, day)
                    if capacity == 0:
                        continue
                    if self._absent(calendar.official_id, day):
                        unsettled.add(day)  # counted slots may fall in the absence
                    elif capacity > counts.get((calendar.official_id, index), 0):
                        found.add(day)
                        open_days.discard(day)
                        break
                    else:
                        unsettled.add(day)  # full by count; bookings of other calendars?
        found |= {day for day in unsettled - found if self._any_free(day)}
        return sorted(found)

    def _cut_days(self, every: list[date]) -> list[date]:
        """Days the bookable window cuts for some calendar: today, and those around the
        horizon of the calendar that books the least far ahead."""
        if not self.offering:
            return []
        shortest = min(c.book_ahead_days for c in self.offering)
        horizon = (self.now + timedelta(days=shortest)).astimezone(self.wanted.zone).date()
        return [day for day in every if day == every[0] or day >= horizon]

    def _any_free(self, day: date) -> bool:
        """Someone has a free time that day: officials a batch at a time, stopping at the
        first free one."""
        serving = [c for c in self.offering if self._serves(c, day) and self._starts(c, day)]
        for part in range(0, len(serving), BATCH):
            batch = serving[part : part + BATCH]
            held = self.held_on(day, [c.official_id for c in batch])
            for calendar in batch:
                mine = held.get(calendar.official_id, [])
                if any(self._free(calendar, at, mine) for at in self._starts(calendar, day)):
                    return True
        return False

    def _counts(self, officials: set[str], every: list[date]) -> dict[tuple[str, int], int]:
        """(official, day's index) → bookings holding their time that day: one query,
        the day found by comparing with the days' bounds (alike on every database)."""
        bounds = [self._bounds(day)[0] for day in every] + [self._bounds(every[-1])[1]]
        bucket = case(
            *(
                (Booking.starts_at < bound, index - 1)
                for index, bound in enumerate(bounds)
                if index
            ),
            else_=-1,
        )
        rows = self.db.connection().execute(
            select(Booking.official_id, bucket.label("day"), func.count())
            .where(
                Booking.official_id.in_(sorted(officials)),
                Booking.starts_at >= bounds[0],
                Booking.starts_at < bounds[-1],
                self._holding(),
            )
            .group_by(Booking.official_id, bucket)
        )
        return {(official, int(index)): int(n) for official, index, n in rows}

    def _absent(self, official: str, day: date) -> bool:
        start, end = self._bounds(day)
        return any(a < end and start < b for a, b in self.absences.get(official, ()))

    def times(self, day: date) -> list[Slot]:
        """One slot for each free start time of the day (the first official's), by time.
        Officials' bookings are read a batch at a time, only until every time the day
        has is someone's."""
        by_time: dict[datetime, Slot] = {}
        serving = [c for c in self.offering if self._serves(c, day) and self._starts(c, day)]
        for part in range(0, len(serving), BATCH):
            batch = serving[part : part + BATCH]
            waiting = [c for c in batch if any(at not in by_time for at in self._starts(c, day))]
            if not waiting:
                continue
            held = self.held_on(day, [c.official_id for c in waiting])
            for calendar in waiting:
                mine = held.get(calendar.official_id, [])
                for at in self._starts(calendar, day):
                    if at not in by_time and self._free(calendar, at, mine):
                        by_time[at] = Slot(
                            at,
                            at + timedelta(minutes=calendar.slot_minutes),
                            calendar.id,
                            calendar.official_id,
                            calendar.org_id,
                        )
        return [by_time[at] for at in sorted(by_time)]

    def at(self, starts_at: datetime) -> list[Slot]:
        """Every free slot starting exactly then: whom booking that time may go to."""
        day = starts_at.astimezone(self.wanted.zone).date()
        return [s for s in self.slots_on(day) if s.starts_at == starts_at]


# Calendars read once and kept while their `updated_at` stands: decoding hundreds of
# calendars' JSON columns was most of a search's time (`bench/appointments.py`). Checked
# against the database on every search (one narrow query), so every central instance
# sees a change at once; bounded, as a calendar's id is never reused.
_KEPT: dict[str, tuple[datetime, Any, tuple[Any, ...]]] = {}
_KEPT_MAX = 20_000
_kept_lock = threading.Lock()


def pattern_of(calendar: Any) -> tuple[Any, ...]:
    """What decides a calendar's slots on any day: calendars alike share their slots
    (five hundred officials' alike calendars cost one walk through a day, not 500)."""
    return (
        calendar.zone,
        calendar.slot_minutes,
        calendar.notice_minutes,
        calendar.book_ahead_days,
        calendar.valid_from,
        calendar.valid_until,
        json.dumps(calendar.weekly, sort_keys=True),
        json.dumps(calendar.exceptions, sort_keys=True),
    )


def calendars_of(db: Session, service_id: str) -> list[Any]:
    """The service's calendars of enabled officials, oldest first, as read-only rows;
    `patterns` of them are kept with them."""
    current = [
        (str(calendar_id), updated_at)
        for calendar_id, updated_at in db.connection().execute(
            select(AppointmentCalendar.id, AppointmentCalendar.updated_at)
            .join(User, User.id == AppointmentCalendar.official_id)
            .where(
                AppointmentCalendar.service_id == service_id,
                User.role == Role.OFFICIAL,
                User.disabled_at.is_(None),
            )
            .order_by(AppointmentCalendar.created_at, AppointmentCalendar.id)
        )
    ]
    kept = dict(_KEPT)  # a snapshot: other threads may add meanwhile
    stale = [cid for cid, at in current if cid not in kept or kept[cid][0] != at]
    for part in range(0, len(stale), 500):
        # Plain rows, not ORM objects: read-only here, and a tenth of the cost.
        for row in db.connection().execute(
            select(*AppointmentCalendar.__table__.columns).where(
                AppointmentCalendar.id.in_(stale[part : part + 500])
            )
        ):
            kept[row.id] = (row.updated_at, row, pattern_of(row))
    if stale:
        with _kept_lock:
            if len(_KEPT) + len(stale) > _KEPT_MAX:
                _KEPT.clear()
            _KEPT.update({cid: kept[cid] for cid in stale if cid in kept})
    return [kept[cid][1] for cid, _ in current if cid in kept]


def _kept_pattern(calendar: Any) -> tuple[Any, ...] | None:
    """The kept pattern of this very row (not of an older or newer read of it)."""
    found = _KEPT.get(calendar.id)
    return found[2] if found and found[1] is calendar else None


def search(db: Session, wanted: Wanted, now: datetime, days: int = 31) -> Search:
    """What a search over the next `days` days needs first: the calendars offering the
    service there in the language, their officials' absences, the agreements."""
    now = now.astimezone(UTC)
    horizon = now + timedelta(days=days + 1)
    rows = calendars_of(db, wanted.service_id)
    offering = [
        c
        for c in rows
        if wanted.place.value in c.places
        and (wanted.language is None or wanted.language in c.languages)
        and (wanted.provider_id is None or c.org_id == wanted.provider_id)
    ]
    found = Search(db, wanted, now, offering)
    officials = sorted({c.official_id for c in offering})
    if not officials:
        return found
    for official, start, end in db.execute(
        select(Absence.official_id, Absence.starts_at, Absence.ends_at).where(
            Absence.official_id.in_(officials), Absence.ends_at > now, Absence.starts_at < horizon
        )
    ):
        found.absences.setdefault(official, []).append((start, end))
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
    rows = [
        c for c in calendars_of(db, service_id) if c.valid_until is None or c.valid_until >= today
    ]
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
