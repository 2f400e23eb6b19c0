"""Sites: create one; edit its details, languages, opening hours and kiosk settings with a
diff before saving; choose its catalogue and order; print an enrolment token as a QR code."""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import available_timezones

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from central.access import audit
from central.access.policy import may
from central.console.i18n import translations
from central.console.render import render
from central.console.viewer import N_, Viewer, form_fields, viewer
from central.db.models import EnrolmentToken, Kiosk, Organisation, Service, Site, SiteService, User
from central.db.types import utcnow
from central.errors import ApiError, not_found
from central.fleet import site_config, sites
from central.ptv import service_name
from central.web.links import public_base
from central.web.request_guard import NOT_JSON, parse_json
from contract.kiosk_config import kiosk_document

router = APIRouter(include_in_schema=False)
# The keys the form edits field by field; the rest are edited as JSON.
# Settings with a field of their own on the form; the rest are the "other settings" JSON.
SECONDS = ("idle_timeout_s", "idle_warning_s", "heartbeat_interval_s")
TYPED = (*SECONDS, "accent_colour", "maintenance_window")
# The kiosks' devices, one field each: its driver spec (hardware/devices.py), as examples.
DEVICE_KINDS = {
    "printer": "sim | serial:/dev/ttyUSB0 | tcp:10.0.0.5",
    "a4_printer": "cups:QUEUE",
    "scanner": "sim | sane:DEVICE",
    "camera": "sim | v4l2:0",
    "card_reader": "pcsc",
    "gpio": "sim | pi | none",
}
FORM_KEYS = (
    "languages",
    "default_language",
    "opening_hours",
    "opening_exceptions",
    "devices",
    *TYPED,
)
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
# Time zones offered first (the rest follow in order): where Finnish sites are.
NEAR_ZONES = ("Europe/Helsinki", "Europe/Stockholm", "Europe/Tallinn", "UTC")
# The settings' names in words on the review page (others by their key).
SETTING_NAMES = {
    "name": N_("Name"),
    "address": N_("Address"),
    "timezone": N_("Time zone"),
    "languages": N_("Languages"),
    "default_language": N_("Default language"),
    "idle_timeout_s": N_("Seconds without a touch before the kiosk asks"),
    "idle_warning_s": N_("Seconds the question waits for an answer"),
    "heartbeat_interval_s": N_("Seconds between the kiosk's reports"),
    "accent_colour": N_("Accent colour"),
    "maintenance_window": N_("Update window"),
    "opening_exceptions": N_("Exceptions to the opening hours"),
    "devices": N_("Devices"),
}
TOKEN_HOURS = (1, 24, 72, 168)
MAX_SERVICES_SHOWN = 2000


@router.get("/console/sites")
def sites_page(request: Request, seen: Viewer = Depends(viewer("kiosk.read"))) -> Response:
    db = seen.access.db
    rows = db.execute(
        select(Site, Organisation.name, func.count(Kiosk.id))
        .join(Organisation, Organisation.id == Site.org_id)
        .outerjoin(Kiosk, (Kiosk.site_id == Site.id) & Kiosk.retired_at.is_(None))
        .where(seen.access.org_filter(Site.org_id))
        .group_by(Site.id, Organisation.name)
        .order_by(Organisation.name, Site.name)
    ).all()
    orgs = seen.access.choices("orgs")
    db.commit()
    may_create = seen.access.may("site.create")
    return render(request, seen.page, "sites.html", rows=rows, orgs=orgs, may_create=may_create)


@router.post("/console/sites")
def create_site(
    fields: dict[str, str] = Depends(form_fields), seen: Viewer = Depends(viewer("site.create"))
) -> Response:
    org = seen.access.org(seen.access.person.org_id or fields.get("org", ""))
    name = fields.get("name", "").strip()[:200]
    if not name:
        raise ApiError(422, "invalid_input", "Give the site a name.")
    site = sites.new_site(
        seen.access.db, org, name, fields.get("address", "").strip()[:300] or None
    )
    seen.access.db.commit()
    return RedirectResponse(f"/console/sites/{site.id}", status_code=303)


def _hours_text(spans: Any) -> str:
    if not isinstance(spans, list):
        return ""
    return ", ".join(f"{a}-{b}" for a, b in spans if isinstance(a, str) and isinstance(b, str))


def _exceptions_text(items: Any) -> str:
    lines = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        when = "closed" if item.get("closed") else _hours_text(item.get("hours"))
        note = f" {item['note']}" if item.get("note") else ""
        lines.append(f"{item.get('date')} {when}{note}")
    return "\n".join(lines)


def _form_values(site: Site) -> dict[str, Any]:
    config = site.config or {}
    hours = config.get("opening_hours") or {}
    return {
        "name": site.name,
        "address": site.address or "",
        "timezone": site.timezone,
        "languages": config.get("languages", ["fi", "sv", "en"]),
        "default_language": config.get("default_language", "fi"),
        "hours": {day: _hours_text(hours.get(day)) for day in site_config.DAYS},
        "exceptions": _exceptions_text(config.get("opening_exceptions")),
        "typed": {key: "" if config.get(key) is None else str(config[key]) for key in TYPED},
        "devices": {
            kind: str((config.get("devices") or {}).get(kind, "")) for kind in DEVICE_KINDS
        },
        "advanced": json.dumps(
            {k: v for k, v in config.items() if k not in FORM_KEYS}, indent=2, ensure_ascii=False
        ),
    }


def _site_page(
    request: Request,
    seen: Viewer,
    site: Site,
    values: dict[str, Any],
    problems: list[str],
    status: int = 200,
) -> Response:
    db = seen.access.db
    chosen = dict(
        db.execute(
            select(SiteService.service_id, SiteService.position).where(
                SiteService.site_id == site.id
            )
        ).all()
    )
    services = [
        (service_id, service_name(item, seen.page.language), chosen.get(service_id))
        for service_id, item in db.execute(
            select(Service.id, Service.item)
            .where(Service.withdrawn.is_(False))
            .limit(MAX_SERVICES_SHOWN)
        )
    ]
    services.sort(key=lambda s: (s[2] is None, s[2] if s[2] is not None else 0, s[1].lower()))
    kiosks = list(
        db.scalars(
            select(Kiosk)
            .where(Kiosk.site_id == site.id, Kiosk.retired_at.is_(None))
            .order_by(Kiosk.name)
        )
    )
    document = kiosk_document(site.config, site.config_version, site.name, site.timezone)
    unused = db.execute(
        select(EnrolmentToken, User.email)
        .outerjoin(User, User.id == EnrolmentToken.created_by)
        .where(
            EnrolmentToken.site_id == site.id,
            EnrolmentToken.used_at.is_(None),
            EnrolmentToken.expires_at > utcnow(),
        )
        .order_by(EnrolmentToken.created_at.desc())
    ).all()
    db.commit()
    role = seen.access.person.role
    return render(
        request,
        seen.page,
        "site.html",
        status=status,
        site=site,
        values=values,
        problems=[_in_words(p, seen.page.language) for p in problems],
        services=services,
        kiosks=kiosks,
        document=json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True),
        days=site_config.DAYS,
        languages=site_config.LANGUAGES,
        token_hours=TOKEN_HOURS,
        zones=zones(),
        seconds=SECONDS,
        device_kinds=DEVICE_KINDS,
        setting_names=SETTING_NAMES,
        day_names=DAY_NAMES,
        ranges=site_config.RANGES,
        unused_tokens=unused,
        may_enrol=may(role, "enrolment_token.create"),
        may_edit=may(role, "site.config.write"),
        saved=request.query_params.get("saved"),
    )


@router.get("/console/sites/{site_id}")
def site_page(
    site_id: str, request: Request, seen: Viewer = Depends(viewer("kiosk.read"))
) -> Response:
    site = seen.access.site(site_id)
    return _site_page(request, seen, site, _form_values(site), [])


def _spans(text: str) -> list[list[str]]:
    spans = []
    for part in text.replace("–", "-").split(","):
        part = part.strip()
        if part:
            opens, _, closes = part.partition("-")
            spans.append([opens.strip(), closes.strip()])
    return spans


def _proposal(fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The form as (details, settings, problems)."""
    problems: list[str] = []
    advanced, problem = parse_json((fields.get("advanced") or "{}").encode(), check_values=True)
    if problem or not isinstance(advanced, dict):
        advanced = {}
        problems.append(f"The other settings are not valid JSON: {problem or 'not an object'}")
    # A typed setting given in the JSON counts too (its own field, when filled, wins).
    config = {k: v for k, v in advanced.items() if k not in FORM_KEYS or k in TYPED}
    devices = (
        dict(advanced.get("devices") or {}) if isinstance(advanced.get("devices"), dict) else {}
    )
    for kind in DEVICE_KINDS:
        spec = fields.get(f"device_{kind}", "").strip()[:200]
        if spec:
            devices[kind] = spec
        elif f"device_{kind}" in fields:
            devices.pop(kind, None)  # emptied: the kiosk has none
    if devices:
        config["devices"] = devices
    config["languages"] = [lang for lang in site_config.LANGUAGES if fields.get(f"lang_{lang}")]
    config["default_language"] = fields.get("default_language", "fi")
    hours = {day: _spans(fields.get(f"hours_{day}", "")) for day in site_config.DAYS}
    config["opening_hours"] = {day: spans for day, spans in hours.items() if spans}
    exceptions = []
    for line in fields.get("exceptions", "").splitlines():
        words = line.split(maxsplit=2)
        if not words:
            continue
        item: dict[str, Any] = {"date": words[0]}
        rest = words[1] if len(words) > 1 else "closed"
        if rest.lower() in ("closed", "suljettu", "stängt"):
            item["closed"] = True
        else:
            item["hours"] = _spans(rest)
        if len(words) > 2:
            item["note"] = words[2][:200]
        exceptions.append(item)
    config["opening_exceptions"] = exceptions
    problems += _typed(fields, config)
    details = {
        "name": fields.get("name", "").strip()[:200],
        "address": fields.get("address", "").strip()[:300],
        "timezone": fields.get("timezone", "Europe/Helsinki"),
    }
    if not details["name"]:
        problems.append("Give the site a name.")
    if details["timezone"] not in available_timezones():
        problems.append("Choose a time zone like Europe/Helsinki.")
    problems += site_config.problems(config)
    try:
        sites.check_config(config)
    except ApiError as exc:
        problems.append(exc.message)
    return details, config, problems


def _devices(settings: dict[str, Any]) -> dict[str, Any]:
    found = settings.get("devices")
    return dict(found) if isinstance(found, dict) else {}


def _typed(fields: dict[str, str], config: dict[str, Any]) -> list[str]:
    """The fields of their own: whole seconds, a colour like #0a4f8f, a window like
    02:00-05:00; empty leaves the kiosks' default."""
    problems = []
    for key in TYPED:
        text = fields.get(f"set_{key}", "").strip()
        if not text:
            continue
        if key in SECONDS:
            if text.isdigit():
                config[key] = int(text)
            else:
                problems.append(N_("Give times in whole seconds, like 60."))
        elif key == "accent_colour" and not COLOUR.match(text):
            problems.append(N_("Give the accent colour like #0a4f8f."))
        elif key == "maintenance_window" and not WINDOW.match(text.replace("–", "-")):
            problems.append(N_("Give the update window like 02:00-05:00."))
        else:
            config[key] = text.replace("–", "-")
    return problems


def _in_words(problem: str, language: str) -> str:
    """A problem in the page's language, where it has a translation; one with the
    weekday's key ("sun: …") names the day instead."""
    words = translations(language)
    for key, day in DAY_NAMES.items():
        if problem.startswith(f"{key}:"):
            return f"{words.gettext(day)}:{problem[len(key) + 1 :]}"
    return str(words.gettext(problem))


DAY_NAMES = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}


def zones() -> list[str]:
    rest = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [*NEAR_ZONES, *(z for z in rest if z not in NEAR_ZONES)]


def _values_from(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "name": fields.get("name", ""),
        "address": fields.get("address", ""),
        "timezone": fields.get("timezone", ""),
        "languages": [lang for lang in site_config.LANGUAGES if fields.get(f"lang_{lang}")],
        "default_language": fields.get("default_language", "fi"),
        "hours": {day: fields.get(f"hours_{day}", "") for day in site_config.DAYS},
        "exceptions": fields.get("exceptions", ""),
        "typed": {key: fields.get(f"set_{key}", "") for key in TYPED},
        "devices": {kind: fields.get(f"device_{kind}", "") for kind in DEVICE_KINDS},
        "advanced": fields.get("advanced", ""),
    }


@router.post("/console/sites/{site_id}/preview")
def preview(
    site_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("site.config.write")),
) -> Response:
    site = seen.access.site(site_id)
    details, config, problems = _proposal(fields)
    if problems:
        return _site_page(request, seen, site, _values_from(fields), problems, status=422)
    before = {"name": site.name, "address": site.address or "", "timezone": site.timezone}
    # What changes, setting by setting, in words: not a diff of the JSON.
    rows = audit.changes(
        _readable({**before, **(site.config or {})}), _readable({**details, **config})
    )
    seen.access.db.commit()
    return render(
        request,
        seen.page,
        "site_preview.html",
        site=site,
        details=details,
        changes=[(_setting_name(key), old, new) for key, old, new in rows],
        proposal=json.dumps(config, ensure_ascii=False),
    )


def _readable(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as the form writes them: "08:00-16:00", "fi, sv", one exception a line."""
    shown = dict(settings)
    hours = shown.pop("opening_hours", None) or {}
    for day in site_config.DAYS:
        if hours.get(day):
            shown[f"opening_hours.{day}"] = _hours_text(hours[day])
    if isinstance(shown.get("languages"), list):
        shown["languages"] = ", ".join(shown["languages"])
    if "opening_exceptions" in shown:
        shown["opening_exceptions"] = _exceptions_text(shown["opening_exceptions"]) or None
    return shown


def _setting_name(key: str) -> str:
    top, _, rest = key.partition(".")
    if top == "opening_hours" and rest.split(".")[0] in DAY_NAMES:
        return DAY_NAMES[rest.split(".")[0]]
    return SETTING_NAMES.get(top, key)


@router.post("/console/sites/{site_id}/save")
def save(
    site_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("site.config.write")),
) -> Response:
    site = seen.access.site(site_id)
    if fields.get("version") != str(site.config_version):
        raise ApiError(
            409, "conflict", "Someone changed this site meanwhile; open it again and review."
        )
    config, problem = parse_json(fields.get("proposal", "").encode(), check_values=True)
    if problem or config is NOT_JSON:
        raise ApiError(422, "invalid_input", "The reviewed settings were lost; try again.")
    details, _, _ = _proposal({**fields, "advanced": "{}"})
    found = site_config.problems(config) if isinstance(config, dict) else ["not settings"]
    if found or not details["name"] or details["timezone"] not in available_timezones():
        raise ApiError(422, "invalid_input", "; ".join(found) or "Check the site's details.")
    before: dict[str, Any] = {"name": site.name, "address": site.address}
    before |= {"timezone": site.timezone, "settings": dict(site.config or {})}
    site.name, site.address, site.timezone = (
        details["name"],
        details["address"] or None,
        details["timezone"],
    )
    sites.set_config(site, config)
    after = {"name": site.name, "address": site.address, "timezone": site.timezone}
    audit.record_changes(request, before, after | {"settings": config})
    seen.access.db.commit()
    return RedirectResponse(f"/console/sites/{site.id}?saved=settings", status_code=303)


@router.post("/console/sites/{site_id}/catalogue")
def save_catalogue(
    site_id: str,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("site.catalogue.write")),
) -> Response:
    """Services with a position are shown, in the order of their positions."""
    site = seen.access.site(site_id)
    positions = []
    for key, value in fields.items():
        if key.startswith("pos_") and value.strip():
            try:
                positions.append((float(value), key[4:]))
            except ValueError as exc:
                raise ApiError(
                    422, "invalid_input", "Positions are numbers, like 1, 2, 3."
                ) from exc
    ordered = [service_id for _, service_id in sorted(positions)]
    sites.set_catalogue(seen.access.db, site, ordered)
    seen.access.db.commit()
    return RedirectResponse(f"/console/sites/{site.id}?saved=catalogue", status_code=303)


@router.post("/console/sites/{site_id}/enrolment-tokens/{hash_start}/revoke")
def revoke_enrolment_token(
    site_id: str,
    hash_start: str,
    seen: Viewer = Depends(viewer("enrolment_token.create")),
) -> Response:
    """An unused token printed by mistake or lost: it expires now (the row stays)."""
    site = seen.access.site(site_id)
    found = seen.access.db.scalars(
        select(EnrolmentToken).where(
            EnrolmentToken.site_id == site.id,
            EnrolmentToken.used_at.is_(None),
            EnrolmentToken.token_hash.startswith(hash_start[:16], autoescape=True),
        )
    ).all()
    if len(hash_start) < 12 or len(found) != 1:
        raise not_found("There is no such unused enrolment token at this site.")
    found[0].expires_at = utcnow()
    seen.access.db.commit()
    return RedirectResponse(f"/console/sites/{site.id}?saved=token_revoked", status_code=303)


@router.post("/console/sites/{site_id}/enrolment-tokens")
def enrolment_token(
    site_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("enrolment_token.create")),
) -> Response:
    """A token and its QR code, shown once on a page to print for the technician."""
    site = seen.access.site(site_id)
    hours = int(fields.get("hours", "24")) if fields.get("hours", "").isdigit() else 24
    hours = hours if hours in TOKEN_HOURS else 24
    token, expires_at = sites.new_enrolment_token(
        seen.access.db, site, seen.access.person.user_id, hours * 3600
    )
    seen.access.db.commit()
    central = public_base(request)
    ticket = json.dumps({"token": token, "central": central})
    qr = segno.make(ticket, error="m").svg_inline(scale=8, border=4, title="QR")
    response = render(
        request,
        seen.page,
        "enrolment.html",
        site=site,
        token=token,
        central=central,
        expires_at=expires_at,
        qr=qr,
    )
    response.headers["cache-control"] = "no-store"
    return response
