"""/book/: citizens book a video appointment from their own browser.

Server-rendered HTML without scripts, mobile first, in Finnish, Swedish and English
(?lang=). A time is held for ten minutes while the citizen proves their e-mail address
by opening the link mailed to them; only then is it booked, confirmed by mail with an
iCalendar event and a link to change or cancel it. Holds are counted per browser
address and per e-mail address (central/web/rate_limit.py), so a flood of bookings
neither fills the calendars nor floods anybody's mailbox.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from central.api.auth import client_address
from central.api.deps import SessionDep, secret_key_of, settings_of
from central.appointments import booking as appointments
from central.appointments import links
from central.appointments.slots import Wanted, offer_of, search, services_offered, wanted_at
from central.book import mails
from central.book.strings import LANGUAGES, clock, day_text, language_name, strings_for, when
from central.bookings import issuing
from central.db.models import Booking, Organisation, Service, Site
from central.db.types import utcnow
from central.errors import ApiError
from central.ptv.services import service_name
from central.web import rate_limit
from central.web.links import public_base
from contract import codes as contract_codes
from contract.appointments import BookingChannel, VisitPlace
from contract.kiosk_api import BookingStatus

log = logging.getLogger(__name__)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
router = APIRouter(prefix="/book", include_in_schema=False)
HELSINKI = ZoneInfo("Europe/Helsinki")
HOME = "home"
SEARCH_DAYS = 31
HOUR = timedelta(hours=1)
# Languages offered to interpret from (Babel names them in the page's language).
INTERPRETED = ("ar", "ru", "so", "uk", "fa", "ku", "et", "tr", "vi", "zh", "ti", "sq")


def _lang(request: Request, form_lang: str | None = None) -> str:
    asked = form_lang or request.query_params.get("lang")
    return asked if asked in LANGUAGES else "fi"


def _page(request: Request, view: str, lang: str, status: int = 200, **values: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(12)
    html = templates.get_template("book.html").render(
        view=view,
        lang=lang,
        t=strings_for(lang),
        nonce=nonce,
        switch=_switch(request, lang),
        **values,
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "content-security-policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; "
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
            ),
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",  # the links carry their booking's token
        },
    )


LANGUAGE_WORDS = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}


def _switch(request: Request, lang: str) -> list[tuple[str, str, str]]:
    """The same page in the other languages (a form's answer: its page's start)."""
    path = request.url.path if request.method == "GET" else "/book/"
    query = dict(request.query_params) if request.method == "GET" else {}
    return [
        (code, _url(path, **(query | {"lang": code})), LANGUAGE_WORDS[code])
        for code in LANGUAGES
        if code != lang
    ]


def _url(path: str, **query: Any) -> str:
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def _wanted(db: Any, service_id: str, at: str, language: str | None) -> Wanted | None:
    """`at` is "home" or a service point's id."""
    if at == HOME:
        return wanted_at(db, service_id, VisitPlace.HOME, None, language)
    return wanted_at(db, service_id, VisitPlace.SERVICE_POINT, at, language)


@router.get("/", response_class=HTMLResponse)
def start(
    request: Request, db: SessionDep, q: str = Query(default="", max_length=100)
) -> HTMLResponse:
    """The services that offer video appointments, with their organisations."""
    lang = _lang(request)
    now = utcnow()
    found = []
    for service_id in services_offered(db, now):
        service = db.get(Service, service_id)
        if service is None or service.withdrawn:
            continue
        name = service_name(service.item, lang)
        if q and q.strip().lower() not in name.lower():
            continue
        offer = offer_of(db, service_id, now)
        orgs = db.scalars(select(Organisation.name).where(Organisation.id.in_(offer.org_ids)))
        found.append({"id": service_id, "name": name, "orgs": ", ".join(sorted(orgs))})
    found.sort(key=lambda s: s["name"].lower())
    return _page(request, "start", lang, services=found, q=q)


@router.get("/s/{service_id}", response_class=HTMLResponse)
def times(
    request: Request,
    db: SessionDep,
    service_id: str,
    at: str = Query(default="", max_length=64),
    language: str = Query(default="", max_length=2),
    day: str = Query(default="", max_length=10),
    change: str = Query(default="", max_length=200),
) -> HTMLResponse:
    """Where and in which language; then the days with free times and one day's times."""
    lang = _lang(request)
    t = strings_for(lang)
    service = db.get(Service, service_id)
    if service is None:
        return _page(request, "gone", lang, 404)
    now = utcnow()
    offer = offer_of(db, service_id, now)
    sites = {s.id: s.name for s in db.scalars(select(Site).where(Site.id.in_(offer.site_ids)))}
    places = ([(HOME, t["home"])] if offer.home else []) + [
        (site_id, t["at_point"] % sites[site_id]) for site_id in offer.site_ids
    ]
    # The page's own language first, then the others by their names in it.
    languages = sorted(
        ((code, language_name(code, lang)) for code in offer.languages),
        key=lambda item: (item[0] != lang, item[1]),
    )
    chosen_language = (
        language
        if language in offer.languages
        else (lang if lang in offer.languages else (offer.languages[0] if offer.languages else ""))
    )
    values: dict[str, Any] = {
        "service": {"id": service_id, "name": service_name(service.item, lang)},
        "places": places,
        "meeting_languages": languages,
        "at": at,
        "language": chosen_language,
        "change": change,
    }
    wanted = _wanted(db, service_id, at, chosen_language) if at else None
    if wanted is not None:
        found = search(db, wanted, now, SEARCH_DAYS)
        days = found.days(SEARCH_DAYS)
        try:
            shown = date.fromisoformat(day) if day else (days[0] if days else None)
        except ValueError:
            shown = days[0] if days else None
        base = f"/book/s/{service_id}"
        values["days"] = [
            {
                "text": day_text(datetime.combine(d, datetime.min.time()), lang),
                "href": _url(
                    base,
                    lang=lang,
                    at=at,
                    language=chosen_language,
                    day=d.isoformat(),
                    change=change,
                ),
                "current": d == shown,
            }
            for d in days
        ]
        values["searched"] = True
        if shown is not None:
            zone = wanted.zone
            values["shown_day"] = day_text(datetime.combine(shown, datetime.min.time()), lang)
            values["times"] = [
                {
                    "text": clock(slot.starts_at, zone, lang),
                    "href": _url(
                        f"{base}/details",
                        lang=lang,
                        at=at,
                        language=chosen_language,
                        starts_at=slot.starts_at.isoformat(),
                        change=change,
                    ),
                }
                for slot in found.times(shown)
            ]
    return _page(request, "times", lang, **values)


@router.get("/s/{service_id}/details", response_class=HTMLResponse)
def details(
    request: Request,
    db: SessionDep,
    service_id: str,
    at: str = Query(max_length=64),
    language: str = Query(max_length=2),
    starts_at: str = Query(max_length=40),
    change: str = Query(default="", max_length=200),
) -> HTMLResponse:
    """Name, e-mail and an interpreter if needed (or, changing: just confirm the time)."""
    lang = _lang(request)
    service = db.get(Service, service_id)
    wanted = _wanted(db, service_id, at, language)
    moment = _moment(starts_at)
    if service is None or wanted is None or moment is None:
        return _page(request, "gone", lang, 404)
    return _page(
        request,
        "details",
        lang,
        service={"id": service_id, "name": service_name(service.item, lang)},
        at=at,
        language=language,
        starts_at=moment.isoformat(),
        when=when(moment, wanted.zone, lang),
        place=_place_words(db, at, lang),
        interpreted=[(code, language_name(code, lang)) for code in INTERPRETED],
        change=change,
    )


def _moment(text: str) -> datetime | None:
    """A time from a form or link (ISO 8601 with its offset), in UTC; None if it is not."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _place_words(db: Any, at: str, lang: str) -> str:
    t = strings_for(lang)
    if at == HOME:
        return t["from_home"]
    site = db.get(Site, at)
    return site.name if site else ""


@router.post("/hold", response_class=HTMLResponse)
def hold(
    request: Request,
    db: SessionDep,
    service_id: str = Form(default="", max_length=64),
    at: str = Form(default="", max_length=64),
    language: str = Form(default="", max_length=2),
    starts_at: str = Form(default="", max_length=40),
    name: str = Form(default="", max_length=200),
    email: str = Form(default="", max_length=400),
    interpreter: str = Form(default="", max_length=3),
    lang: str = Form(default="fi", max_length=2),
) -> HTMLResponse:
    """Hold the time and mail the proof link; nothing is booked until it is opened."""
    lang = _lang(request, lang)
    t = strings_for(lang)
    settings = settings_of(request)
    back = _url(f"/book/s/{service_id}", lang=lang, at=at, language=language)
    problems = []
    name, email = name.strip(), email.strip()
    if not 1 <= len(name) <= 60:
        problems.append(t["name"])
    if len(email) > appointments.MAX_EMAIL or not re.match(appointments.EMAIL_PATTERN, email):
        problems.append(t["email"])
    if interpreter and interpreter not in INTERPRETED:
        problems.append(t["interpreter"])
    moment = _moment(starts_at)
    if moment is None:
        problems.append(t["when"])
    wanted = _wanted(db, service_id, at, language)
    if wanted is None:
        return _page(request, "gone", lang, 404)
    if problems or moment is None:
        return _page(
            request, "problem", lang, 422, message=t["bad_input"] % ", ".join(problems), back=back
        )
    now = utcnow()
    address_ok = rate_limit.allow(
        db,
        rate_limit.key_for("hold-address", client_address(request)),
        settings.booking_holds_per_address_hour,
        HOUR,
        now,
    )
    email_ok = rate_limit.allow(
        db,
        rate_limit.key_for("hold-email", email),
        settings.booking_holds_per_email_hour,
        HOUR,
        now,
    )
    db.commit()
    if not (address_ok and email_ok):
        return _page(request, "problem", lang, 429, message=t["too_many"], back=back)
    try:
        booked = appointments.book(
            db,
            secret_key_of(request),
            wanted,
            moment,
            appointments.Citizen(name, email, interpreter or None),
            BookingChannel.WEB,
            now,
            hold=True,
        )
    except ApiError:
        return _page(request, "problem", lang, 409, message=t["taken"], back=back)
    proof = links.token_for(secret_key_of(request), links.PROVE, booked.booking.id)
    link = _url(f"{public_base(request)}/book/c/{proof}", lang=lang)
    try:
        mails.send_proof(settings, email, link, lang, mails.describe(db, booked.booking, lang))
    except OSError as exc:
        log.warning("the proof mail of a held booking could not be sent: %s", exc)
        appointments.cancel(db, booked.booking)
        return _page(request, "problem", lang, 503, message=t["mail_failed"], back=back)
    return _page(request, "check_mail", lang, email=email)


@router.get("/c/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, db: SessionDep, token: str) -> HTMLResponse:
    """The proof link: a button to confirm (a mail scanner fetching the link confirms
    nothing)."""
    lang = _lang(request)
    booking = links.booking_for(db, secret_key_of(request), links.PROVE, token)
    if booking is None or booking.status not in (BookingStatus.HELD, BookingStatus.BOOKED):
        return _page(request, "gone", lang, 404)
    return _page(request, "confirm", lang, token=token, what=mails.describe(db, booking, lang))


@router.post("/c/{token}", response_class=HTMLResponse)
def confirm(
    request: Request, db: SessionDep, token: str, lang: str = Form(default="fi", max_length=2)
) -> Response:
    lang = _lang(request, lang)
    secret = secret_key_of(request)
    booking = links.booking_for(db, secret, links.PROVE, token)
    if booking is None:
        return _page(request, "gone", lang, 404)
    already = booking.status == BookingStatus.BOOKED
    if not appointments.confirm(db, booking, utcnow()):
        return _page(request, "gone", lang, 410)
    if not already:
        _send_booked(request, db, booking, lang)
    return RedirectResponse(
        _url(f"/book/m/{links.token_for(secret, links.MANAGE, booking.id)}", lang=lang), 303
    )


def _send_booked(request: Request, db: Any, booking: Booking, lang: str) -> None:
    mails.mail_booked(
        db, settings_of(request), secret_key_of(request), public_base(request), booking, lang
    )


@router.get("/m/{token}", response_class=HTMLResponse)
def manage(request: Request, db: SessionDep, token: str) -> HTMLResponse:
    lang = _lang(request)
    secret = secret_key_of(request)
    booking = links.booking_for(db, secret, links.MANAGE, token)
    if booking is None or booking.status not in (BookingStatus.BOOKED, BookingStatus.CHECKED_IN):
        return _page(request, "gone", lang, 404)
    return _page(
        request,
        "manage",
        lang,
        token=token,
        what=mails.describe(db, booking, lang),
        code=contract_codes.format_code(issuing.plain_code(secret, booking)),
        change_href=_url(
            f"/book/s/{booking.service_id}",
            lang=lang,
            at=booking.site_id or HOME,
            language=booking.language or "",
            change=token,
        ),
        visit_href=_url(f"/visit/{token}", lang=lang) if booking.place == VisitPlace.HOME else "",
        past=booking.ends_at < utcnow(),
    )


@router.get("/m/{token}/cancel", response_class=HTMLResponse)
def cancel_page(request: Request, db: SessionDep, token: str) -> HTMLResponse:
    lang = _lang(request)
    booking = links.booking_for(db, secret_key_of(request), links.MANAGE, token)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return _page(request, "gone", lang, 404)
    return _page(request, "cancel", lang, token=token, what=mails.describe(db, booking, lang))


@router.post("/m/{token}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, db: SessionDep, token: str, lang: str = Form(default="fi", max_length=2)
) -> HTMLResponse:
    lang = _lang(request, lang)
    booking = links.booking_for(db, secret_key_of(request), links.MANAGE, token)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return _page(request, "gone", lang, 404)
    what = mails.describe(db, booking, lang)
    appointments.cancel(db, booking)
    if booking.contact_email:
        try:
            mails.send_cancelled(settings_of(request), booking, lang, what, utcnow())
        except OSError as exc:
            log.warning("the cancellation mail could not be sent: %s", exc)
    return _page(request, "cancelled", lang, what=what)


@router.post("/m/{token}/change", response_class=HTMLResponse)
def change(
    request: Request,
    db: SessionDep,
    token: str,
    at: str = Form(default="", max_length=64),
    language: str = Form(default="", max_length=2),
    starts_at: str = Form(default="", max_length=40),
    lang: str = Form(default="fi", max_length=2),
) -> Response:
    """The new time is booked before the old one is let go."""
    lang = _lang(request, lang)
    secret = secret_key_of(request)
    booking = links.booking_for(db, secret, links.MANAGE, token)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return _page(request, "gone", lang, 404)
    wanted = _wanted(db, booking.service_id, at, language)
    moment = _moment(starts_at)
    if wanted is None or moment is None:
        return _page(request, "gone", lang, 404)
    try:
        new = appointments.change(db, secret, booking, wanted, moment, utcnow())
    except ApiError:
        back = _url(
            f"/book/s/{booking.service_id}", lang=lang, at=at, language=language, change=token
        )
        return _page(request, "problem", lang, 409, message=strings_for(lang)["taken"], back=back)
    _send_booked(request, db, new.booking, lang)
    return RedirectResponse(
        _url(f"/book/m/{links.token_for(secret, links.MANAGE, new.booking.id)}", lang=lang), 303
    )


@router.post("/code", response_class=HTMLResponse)
def by_code(
    request: Request,
    db: SessionDep,
    code: str = Form(default="", max_length=40),
    lang: str = Form(default="fi", max_length=2),
) -> Response:
    """A booking by its code (from the receipt or the mail), counted per address."""
    lang = _lang(request, lang)
    settings = settings_of(request)
    allowed = rate_limit.allow(
        db,
        rate_limit.key_for("code-address", client_address(request)),
        settings.booking_code_tries_per_address_hour,
        HOUR,
        utcnow(),
    )
    db.commit()
    if not allowed:
        return _page(
            request, "problem", lang, 429, message=strings_for(lang)["too_many"], back="/book/"
        )
    secret = secret_key_of(request)
    booking = issuing.find_anywhere(db, secret, code)
    if booking is None or booking.status != BookingStatus.BOOKED:
        return _page(request, "gone", lang, 404)
    return RedirectResponse(
        _url(f"/book/m/{links.token_for(secret, links.MANAGE, booking.id)}", lang=lang), 303
    )
