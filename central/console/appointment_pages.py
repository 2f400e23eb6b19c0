"""Video appointment calendars and absences, for admins: what each official of the
organisation offers, a calendar added from a form (one period on the ticked weekdays;
other shapes through the API), absences. The checks are the API's (api/appointments.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from central.api.appointments import CalendarIn, add_absence, fill_calendar, own_calendar
from central.calls import lifecycle
from central.console.i18n import translations
from central.console.render import render
from central.console.viewer import N_, Viewer, form_fields, viewer
from central.db.models import Absence, AppointmentCalendar, Service, User
from central.db.types import utcnow
from central.errors import ApiError, forbidden, not_found
from central.ptv import service_name
from contract.appointments import VisitPlace
from contract.roles import Role

router = APIRouter(include_in_schema=False)
HELSINKI = ZoneInfo("Europe/Helsinki")
DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
LANGUAGES = ("fi", "sv", "en")
DELETING = N_(
    "No new bookings are taken on this calendar. Bookings already made stay: cancel "
    "them one by one if need be."
)
DELETE = N_("Delete the calendar")


def weekly_words(weekly: list[dict[str, Any]], words: Any) -> str:
    """'Mon–Fri 08:00–16:00, Sat 10:00–12:00': consecutive days with the same times as one."""
    by_day = {
        d: tuple(sorted((p["start"], p["end"]) for p in weekly if p["day"] == d)) for d in range(7)
    }
    parts, day = [], 0
    while day < 7:
        periods = by_day[day]
        last = day
        while last + 1 < 7 and by_day[last + 1] == periods:
            last += 1
        if periods:
            name = words(DAYS[day]) + (f"–{words(DAYS[last])}" if last > day else "")
            parts.append(f"{name} " + ", ".join(f"{a}–{b}" for a, b in periods))
        day = last + 1
    return ", ".join(parts)


@router.get("/console/appointments")
def appointments_page(
    request: Request, seen: Viewer = Depends(viewer("calendar.manage"))
) -> Response:
    db, access = seen.access.db, seen.access
    language = seen.page.language
    words = translations(language)
    officials = list(
        db.scalars(
            select(User)
            .where(
                User.role == Role.OFFICIAL,
                User.disabled_at.is_(None),
                access.org_filter(User.org_id),
            )
            .order_by(User.email)
        )
    )
    served: set[str] = set()
    for official in officials:
        served |= set(lifecycle.profile_of(db, official.id).services or [])
    names = {
        s.id: service_name(s.item, language) or s.id
        for s in db.scalars(select(Service).where(Service.id.in_(sorted(served))))
    }
    emails = {u.id: u.email for u in officials}
    calendars = [
        {
            "id": c.id,
            "official": emails.get(c.official_id, c.official_id),
            "service": names.get(c.service_id) or c.service_id,
            "weekly": weekly_words(c.weekly, words.gettext),
            "exceptions": len(c.exceptions),
            "slot": c.slot_minutes,
            "places": c.places,
            "languages": ", ".join(c.languages),
            "valid": f"{c.valid_from} – {c.valid_until or ''}",
        }
        for c in db.scalars(
            select(AppointmentCalendar)
            .where(access.org_filter(AppointmentCalendar.org_id))
            .order_by(AppointmentCalendar.created_at)
        )
    ]
    absences = [
        {
            "id": a.id,
            "official": emails.get(a.official_id, a.official_id),
            "from": a.starts_at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M"),
            "to": a.ends_at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M"),
        }
        for a in db.scalars(
            select(Absence)
            .where(access.org_filter(Absence.org_id), Absence.ends_at > utcnow())
            .order_by(Absence.starts_at)
        )
    ]
    db.commit()
    return render(
        request,
        seen.page,
        "appointments.html",
        calendars=calendars,
        absences=absences,
        officials=officials,
        services=sorted(names.items(), key=lambda item: item[1]),
        days=DAYS,
        today=datetime.now(HELSINKI).date().isoformat(),
        done=request.query_params.get("done"),
    )


def _calendar_in(fields: dict[str, str]) -> CalendarIn:
    days = [d for d in range(7) if fields.get(f"day{d}")]
    start, end = fields.get("start", ""), fields.get("end", "")
    try:
        return CalendarIn.model_validate(
            {
                "official_id": fields.get("official") or None,
                "service_id": fields.get("service", ""),
                "languages": [lang for lang in LANGUAGES if fields.get(f"lang_{lang}")],
                "places": [p.value for p in VisitPlace if fields.get(f"place_{p.value}")],
                "weekly": [{"day": d, "start": start, "end": end} for d in days],
                "slot_minutes": fields.get("slot") or 30,
                "book_ahead_days": fields.get("ahead") or 30,
                "notice_minutes": fields.get("notice") or 120,
                "valid_from": fields.get("valid_from") or date.today().isoformat(),
                "valid_until": fields.get("valid_until") or None,
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(422, "invalid_input", problems) from exc


@router.post("/console/appointments/calendars")
def add_calendar(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("calendar.manage")),
) -> Response:
    body = _calendar_in(fields)
    if not body.weekly:
        raise ApiError(422, "invalid_input", N_("Tick at least one weekday."))
    calendar = AppointmentCalendar(official_id="", org_id="")
    fill_calendar(seen.access, calendar, body)
    seen.access.db.add(calendar)
    seen.access.db.commit()
    return RedirectResponse("/console/appointments?done=added", status_code=303)


@router.post("/console/appointments/calendars/{calendar_id}/delete")
def delete_calendar(
    calendar_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("calendar.manage")),
) -> Response:
    calendar = own_calendar(seen.access, calendar_id)
    if fields.get("confirmed") != "1":
        return render(
            request,
            seen.page,
            "confirm.html",
            heading=translations(seen.page.language).gettext(DELETE),
            alert=DELETING,
            items=[],
            fields={},
            confirmed=1,
            dangerous=True,
            button=DELETE,
            target=f"/console/appointments/calendars/{calendar.id}/delete",
            back="/console/appointments",
        )
    seen.access.db.delete(calendar)
    seen.access.db.commit()
    return RedirectResponse("/console/appointments?done=deleted", status_code=303)


def _moment(day: str, clock: str) -> datetime:
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock or "00:00"), tzinfo=HELSINKI
        )
    except ValueError as exc:
        raise ApiError(422, "invalid_input", N_("Give the days as dates.")) from exc


@router.post("/console/appointments/absences")
def new_absence(
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("calendar.manage")),
) -> Response:
    starts = _moment(fields.get("from_day", ""), fields.get("from_time", ""))
    ends = _moment(fields.get("to_day", ""), fields.get("to_time", "") or "23:59")
    if ends <= starts:
        raise ApiError(422, "invalid_input", N_("The absence must end after it starts."))
    added = add_absence(seen.access, fields.get("official") or None, starts, ends)
    inside = len(added.bookings_inside)
    return RedirectResponse(f"/console/appointments?done=absence:{inside}", status_code=303)


@router.post("/console/appointments/absences/{absence_id}/delete")
def delete_absence(
    absence_id: str,
    seen: Viewer = Depends(viewer("calendar.manage")),
) -> Response:
    absence = seen.access.db.get(Absence, absence_id)
    if absence is None:
        raise not_found("absence")
    if not seen.access.may_touch_org(absence.org_id):
        raise forbidden("This absence belongs to another organisation.")
    seen.access.db.delete(absence)
    seen.access.db.commit()
    return RedirectResponse("/console/appointments?done=absence_removed", status_code=303)
