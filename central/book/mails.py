"""The citizen's appointment mails: the proof link, the confirmation with its iCalendar
event and the link to manage the booking, and word of a cancellation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from central import mail
from central.appointments import icalendar, links
from central.book.strings import strings_for, when
from central.bookings import issuing
from central.db.models import Booking, Service, Site
from central.db.types import utcnow
from central.ptv.services import service_name
from central.settings import Settings
from contract import codes as contract_codes
from contract.appointments import VisitPlace

HELSINKI = ZoneInfo("Europe/Helsinki")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Described:
    """A booking in the citizen's words."""

    service: str
    place: str
    when: str
    zone: ZoneInfo
    at_home: bool


def describe(db: Session, booking: Booking, language: str) -> Described:
    t = strings_for(language)
    service = db.get(Service, booking.service_id)
    name = service_name(service.item if service else {}, language) or booking.service_id
    site = db.get(Site, booking.site_id) if booking.site_id else None
    zone = ZoneInfo(site.timezone) if site else HELSINKI
    at_home = booking.place == VisitPlace.HOME or site is None
    place = t["from_home"] if at_home else site.name if site else ""
    return Described(name, place, when(booking.starts_at, zone, language), zone, at_home)


@dataclass(frozen=True)
class Links:
    manage: str  # /book/m/…: see, change or cancel
    visit: str  # /visit/…: the meeting from home ("" for a visit at a service point)


def links_of(secret: bytes, base: str, booking: Booking, language: str) -> Links:
    token = links.token_for(secret, links.MANAGE, booking.id)
    manage = f"{base}/book/m/{token}?lang={language}"
    at_home = booking.place == VisitPlace.HOME
    return Links(manage, f"{base}/visit/{token}?lang={language}" if at_home else "")


def mail_booked(
    db: Session, settings: Settings, secret: bytes, base: str, booking: Booking, language: str
) -> bool:
    """The confirmation mail, if the booking has an address; False if it could not be
    sent (logged; the booking stands, its code and links were shown on screen)."""
    if not booking.contact_email:
        return False
    found = links_of(secret, base, booking, language)
    try:
        send_booked(
            settings,
            booking,
            issuing.plain_code(secret, booking),
            found.manage,
            found.visit,
            language,
            describe(db, booking, language),
            utcnow(),
        )
    except OSError as exc:
        log.warning("the confirmation mail of a booking could not be sent: %s", exc)
        return False
    return True


def send_proof(settings: Settings, to: str, link: str, language: str, what: Described) -> None:
    t = strings_for(language)
    text = "\n\n".join(
        [
            f"{t['service']}: {what.service}\n{t['when']}: {what.when}\n{t['place']}: {what.place}",
            f"{t['mail_prove']}\n{link}",
            t["mail_ignore"],
        ]
    )
    mail.send(settings, to, t["mail_prove_subject"], text)


def send_booked(
    settings: Settings,
    booking: Booking,
    code: str,
    manage_link: str,
    visit_link: str,
    language: str,
    what: Described,
    now: datetime,
) -> None:
    """The confirmation: code, time, place, how to come, and the event to add."""
    assert booking.contact_email
    t = strings_for(language)
    shown = contract_codes.format_code(code)
    how = t["how_home"] if what.at_home else t["how_point"]
    lines = [
        f"{t['service']}: {what.service}",
        f"{t['when']}: {what.when}",
        f"{t['place']}: {what.place}",
        f"{t['code']}: {shown}",
        "",
        how,
    ]
    if visit_link:
        lines += ["", f"{t['visit_link']}: {visit_link}"]
    lines += ["", f"{t['manage']}: {manage_link}"]
    event = icalendar.Event(
        uid=f"{booking.id}@palvelupiste",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=t["summary"] % what.service,
        location=what.place,
        description=f"{t['code']}: {shown}\n{how}\n{visit_link or manage_link}",
        url=visit_link or manage_link,
    )
    mail.send(
        settings,
        booking.contact_email,
        t["mail_booked_subject"],
        "\n".join(lines),
        [_ics(event, now)],
    )


def send_cancelled(
    settings: Settings, booking: Booking, language: str, what: Described, now: datetime
) -> None:
    assert booking.contact_email
    t = strings_for(language)
    event = icalendar.Event(
        uid=f"{booking.id}@palvelupiste",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=t["summary"] % what.service,
        cancelled=True,
        sequence=1,
    )
    text = f"{t['cancelled_title']}\n\n{t['service']}: {what.service}\n{t['when']}: {what.when}"
    mail.send(
        settings, booking.contact_email, t["mail_cancelled_subject"], text, [_ics(event, now)]
    )


def _ics(event: icalendar.Event, now: datetime) -> mail.Attachment:
    """The event as the mail's calendar attachment (to add to one's own calendar)."""
    content = icalendar.calendar([event], now)
    return mail.Attachment("appointment.ics", "text", "calendar", content, {"method": "PUBLISH"})
