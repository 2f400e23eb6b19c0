"""Fleet pages: the kiosk list with filters, one kiosk's page, and actions on one or many."""

from __future__ import annotations

import re
from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central.access import audit
from central.access.policy import may_send
from central.api.deployments import TAG_PATTERN
from central.api.deps import settings_of
from central.console.render import paged, render
from central.console.viewer import N_, Viewer, form_fields, form_lists, viewer
from central.db.models import Alert, Command, CommandArtifact, Kiosk, Site, UsageEvent
from central.db.types import utcnow
from central.errors import ApiError, not_found
from central.fleet import commands
from central.fleet.fleet_list import (
    PAGE_SIZE,
    PAGE_SIZES,
    SORTS,
    FleetFilter,
    choices,
    fleet_rows,
    with_devices,
)
from central.fleet.fleet_status import KioskStatus, offline_after, status_of
from central.updates import deployments
from contract.kiosk_api import CommandType

router = APIRouter(include_in_schema=False)
TAG = re.compile(TAG_PATTERN)
TAGS_WRONG = N_(
    "Tags are up to 20 words of letters, digits, spaces, dots and dashes, separated by commas."
)
MAX_MESSAGE = 200  # as the kiosk shows at most (kiosk/ui/app.py)
# What the console offers as actions, in this order.
ACTIONS = (
    CommandType.REBOOT,
    CommandType.RESTART_UI,
    CommandType.MAINTENANCE_ON,
    CommandType.MAINTENANCE_OFF,
    CommandType.SELF_TEST,
    CommandType.PRINT_TEST_PAGE,
    CommandType.SCREENSHOT,
)


# What stops a kiosk serving citizens: styled apart, confirmed by name and count.
DANGEROUS = frozenset({CommandType.REBOOT, CommandType.RESTART_UI, CommandType.MAINTENANCE_ON})
CONFIRM_SHOWN = 20  # kiosks named on the confirmation page; the rest are counted
STOPS_SERVING = N_("Citizens at these kiosks cannot use them while this happens.")


def _confirm(
    request: Request,
    seen: Viewer,
    action: str,
    kiosks: list[str],
    fields: dict[str, str],
    target: str,
    back: str,
    ticked: list[str] | None = None,
) -> Response:
    """The question before an action, naming how many kiosks and which (issue 33); the
    answer carries the count, so a set that changed meanwhile is asked about again."""
    return render(
        request,
        seen.page,
        "confirm.html",
        action=action,
        dangerous=action in DANGEROUS,
        alert=STOPS_SERVING if action in DANGEROUS else "",
        items=kiosks[:CONFIRM_SHOWN],
        more=max(0, len(kiosks) - CONFIRM_SHOWN),
        total=len(kiosks),
        fields={k: v for k, v in fields.items() if k not in ("csrf", "confirmed", "kiosk")},
        ticked=ticked or [],
        confirmed=len(kiosks),
        target=target,
        back=back,
    )


def _filter_of(fields: dict[str, str]) -> FleetFilter:
    status = fields.get("status") or None
    sort = fields.get("sort") or "name"
    return FleetFilter(
        org_id=fields.get("org") or None,
        site_id=fields.get("site") or None,
        status=status if status in set(KioskStatus) else None,
        version=fields.get("version") or None,
        sort=sort if sort in SORTS else "name",
        descending=fields.get("order") == "desc",
        search=(fields.get("q") or "").strip()[:100] or None,
        tag=fields.get("tag") or None,
    )


def _query_of(wanted: FleetFilter) -> dict[str, str]:
    values = asdict(wanted)
    out = {
        "org": values["org_id"],
        "site": values["site_id"],
        "status": values["status"],
        "version": values["version"],
        "sort": values["sort"] if values["sort"] != "name" else None,
        "order": "desc" if values["descending"] else None,
        "q": values["search"],
        "tag": values["tag"],
    }
    return {k: v for k, v in out.items() if v}


@router.get("/console/fleet")
def fleet_page(request: Request, seen: Viewer = Depends(viewer("kiosk.read"))) -> Response:
    params = dict(request.query_params)
    wanted = _filter_of(params)
    settings = settings_of(request)
    rows = fleet_rows(seen.access, wanted, utcnow(), settings.offline_after_s)
    options = choices(seen.access)
    seen.access.db.commit()
    size = _page_size(params.get("size"))
    shown, page, pages = paged(rows, params.get("page"), size)
    counts = {s.value: 0 for s in KioskStatus}
    for row in rows:
        counts[row.status.value] += 1
    return render(
        request,
        seen.page,
        "fleet.html",
        rows=with_devices(seen.access, shown),
        total=len(rows),
        counts=counts,
        page_number=page,
        pages=pages,
        wanted=wanted,
        filter_query=_query_of(wanted) | ({"size": str(size)} if size != PAGE_SIZE else {}),
        options=options,
        page_sizes=PAGE_SIZES,
        page_size=size,
        statuses=[s.value for s in KioskStatus],
        sorts=SORTS,
        actions=_actions_for(seen),
        done=params.get("done"),
    )


def _page_size(asked: str | None) -> int:
    return int(asked) if asked and asked.isdigit() and int(asked) in PAGE_SIZES else PAGE_SIZE


def _actions_for(seen: Viewer) -> list[str]:
    return [a.value for a in ACTIONS if may_send(seen.access.person.role, a)]


def _args(type_: str, fields: dict[str, str]) -> dict[str, str]:
    """Maintenance may carry a short message the kiosk shows ("Back at 14:00")."""
    message = fields.get("message", "").strip()[:MAX_MESSAGE]
    return {"message": message} if type_ == CommandType.MAINTENANCE_ON and message else {}


def _wanted_type(fields: dict[str, str]) -> str:
    type_ = fields.get("type", "")
    if type_ not in {a.value for a in ACTIONS}:
        raise ApiError(422, "invalid_input", "Choose one of the actions offered.")
    return type_


@router.post("/console/fleet/commands")
async def bulk_command(
    request: Request, seen: Viewer = Depends(viewer("command.create"))
) -> Response:
    """The action for the kiosks ticked in the list, or else every kiosk the current
    filter shows (all pages), in one transaction. Ticked kiosks outside the filter (or
    the viewer's organisation) are not acted on."""
    fields = await form_fields(request)
    ticked = set((await form_lists(request)).get("kiosk", []))
    type_ = _wanted_type(fields)
    wanted = _filter_of(fields)
    settings = settings_of(request)
    rows = fleet_rows(seen.access, wanted, utcnow(), settings.offline_after_s)
    if ticked:
        rows = [r for r in rows if r.id in ticked]
    if fields.get("confirmed") != str(len(rows)):
        # First the question, naming how many and which (issue 33: one click rebooted
        # every kiosk); asked again when the set changed meanwhile.
        return _confirm(
            request,
            seen,
            type_,
            [f"{r.name} · {r.site_name}" for r in rows],
            fields,
            "/console/fleet/commands",
            "/console/fleet",
            sorted(ticked),
        )
    for kiosk in seen.access.db.scalars(select(Kiosk).where(Kiosk.id.in_([r.id for r in rows]))):
        commands.issue(seen.access, kiosk, type_, _args(type_, fields), None, settings)
    seen.access.db.commit()
    query = urlencode({**_query_of(wanted), "done": f"{type_}:{len(rows)}"})
    return RedirectResponse(f"/console/fleet?{query}", status_code=303)


@router.get("/console/kiosks/{kiosk_id}")
def kiosk_page(
    kiosk_id: str, request: Request, seen: Viewer = Depends(viewer("kiosk.read"))
) -> Response:
    db = seen.access.db
    kiosk = seen.access.kiosk(kiosk_id)
    commands.expire_overdue(db, kiosk.id)
    db.commit()
    site = db.get(Site, kiosk.site_id)
    config = site.config if site else None
    settings = settings_of(request)
    status = status_of(
        kiosk.last_seen,
        kiosk.condition,
        utcnow(),
        offline_after(config, settings.offline_after_s),
    )
    recent = list(
        db.scalars(
            select(Command)
            .where(Command.kiosk_id == kiosk.id)
            .order_by(Command.created_at.desc())
            .limit(20)
        )
    )
    screenshot = db.scalar(
        select(Command)
        .where(
            Command.kiosk_id == kiosk.id,
            Command.type == CommandType.SCREENSHOT,
            Command.has_artifact.is_(True),
        )
        .order_by(Command.created_at.desc())
        .limit(1)
    )
    # Usage events carry no names or identity codes: their type and service only.
    events = list(
        db.execute(
            select(UsageEvent.at, UsageEvent.type, UsageEvent.service_id)
            .where(UsageEvent.kiosk_id == kiosk.id)
            .order_by(UsageEvent.at.desc())
            .limit(20)
        )
    )
    history = list(
        db.scalars(
            select(Alert)
            .where(Alert.kiosk_id == kiosk.id)
            .order_by(Alert.raised_at.desc())
            .limit(20)
        )
    )
    db.commit()
    health = kiosk.health or {}
    return render(
        request,
        seen.page,
        "kiosk.html",
        kiosk=kiosk,
        site=site,
        kiosk_status=status.value,
        health=health,
        devices=[d for d in health.get("devices", []) if isinstance(d, dict)],
        recent=recent,
        screenshot=screenshot,
        events=events,
        history=history,
        updates=deployments.history_of(db, kiosk.id),
        actions=_actions_for(seen),
        may_manage=seen.access.may("kiosk.manage"),
        done=request.query_params.get("done"),
    )


@router.post("/console/kiosks/{kiosk_id}/details")
def kiosk_details(
    kiosk_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("kiosk.manage")),
) -> Response:
    """The kiosk's name and tags (comma-separated), as `PATCH /kiosks/{id}` sets them."""
    kiosk = seen.access.kiosk(kiosk_id)
    name = " ".join(fields.get("name", "").split())[:100]
    if not name:
        raise ApiError(422, "invalid_input", N_("A kiosk's name cannot be empty."))
    tags = sorted({t.strip() for t in fields.get("tags", "").split(",") if t.strip()})
    if len(tags) > 20 or any(not TAG.match(t) for t in tags):
        raise ApiError(422, "invalid_input", TAGS_WRONG)
    audit.record_changes(
        request, {"name": kiosk.name, "tags": kiosk.tags}, {"name": name, "tags": tags}
    )
    kiosk.name, kiosk.tags = name, tags
    seen.access.db.commit()
    return RedirectResponse(f"/console/kiosks/{kiosk.id}?done=details", status_code=303)


@router.post("/console/kiosks/{kiosk_id}/commands")
def kiosk_command(
    kiosk_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("command.create")),
) -> Response:
    type_ = _wanted_type(fields)
    kiosk = seen.access.kiosk(kiosk_id)
    if type_ in DANGEROUS and fields.get("confirmed") != "1":
        site = seen.access.db.get(Site, kiosk.site_id)
        return _confirm(
            request,
            seen,
            type_,
            [f"{kiosk.name} · {site.name if site else ''}"],
            fields,
            f"/console/kiosks/{kiosk.id}/commands",
            f"/console/kiosks/{kiosk.id}",
        )
    settings = settings_of(request)
    commands.issue(seen.access, kiosk, type_, _args(type_, fields), None, settings)
    seen.access.db.commit()
    return RedirectResponse(f"/console/kiosks/{kiosk.id}?done={type_}", status_code=303)


@router.get("/console/kiosks/{kiosk_id}/commands/{command_id}/screenshot")
def screenshot(
    kiosk_id: str, command_id: str, seen: Viewer = Depends(viewer("command.read"))
) -> Response:
    command = seen.access.command(seen.access.kiosk(kiosk_id), command_id)
    artifact = seen.access.db.get(CommandArtifact, command.id)
    seen.access.db.commit()
    if artifact is None:
        raise not_found("screenshot")
    return Response(content=artifact.content, media_type=artifact.content_type)
