"""Alerts: what is wrong in the fleet now and lately, and who each organisation tells."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central import outbound
from central.api.deps import settings_of
from central.console.render import render
from central.console.viewer import N_, Viewer, form_fields, viewer
from central.db.models import Alert, Kiosk, Organisation, User
from central.db.types import utcnow
from central.errors import ApiError, not_found
from central.fleet import alerts

router = APIRouter(include_in_schema=False)
SILENCE_HOURS = (1, 8, 24, 168)
RESOLVED_SHOWN = 100
MAX_RECIPIENTS = 20
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@router.get("/console/alerts")
def alerts_page(request: Request, seen: Viewer = Depends(viewer("alert.read"))) -> Response:
    db = seen.access.db
    shown = (
        select(Alert, Kiosk.name, User.email)
        .join(Kiosk, Kiosk.id == Alert.kiosk_id)
        .outerjoin(User, User.id == Alert.acknowledged_by)
        .where(seen.access.org_filter(Alert.org_id))
    )
    open_alerts = db.execute(
        shown.where(Alert.resolved_at.is_(None)).order_by(Alert.raised_at.desc())
    ).all()
    resolved = db.execute(
        shown.where(Alert.resolved_at.is_not(None))
        .order_by(Alert.resolved_at.desc())
        .limit(RESOLVED_SHOWN)
    ).all()
    orgs = []
    if seen.access.may("alerting.manage"):
        orgs = list(
            db.scalars(
                select(Organisation)
                .where(seen.access.org_filter(Organisation.id))
                .order_by(Organisation.name)
            )
        )
    db.commit()
    return render(
        request,
        seen.page,
        "alerts.html",
        open_alerts=open_alerts,
        resolved=resolved,
        orgs=orgs,
        saved=request.query_params.get("saved"),
        request_done=request.query_params.get("done"),
        may_handle=seen.access.may("alert.handle"),
        silence_hours=SILENCE_HOURS,
        now=utcnow(),
    )


def _alert_of(seen: Viewer, alert_id: str) -> Alert:
    found = seen.access.db.scalar(
        select(Alert).where(Alert.id == alert_id, seen.access.org_filter(Alert.org_id))
    )
    if found is None or found.resolved_at is not None:
        raise not_found("There is no such open alert.")
    return found


@router.post("/console/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: str, seen: Viewer = Depends(viewer("alert.handle"))) -> Response:
    """Someone is on it: the alert stays open (its condition decides) and says who."""
    alert = _alert_of(seen, alert_id)
    alerts.acknowledge(alert, seen.access.person.user_id, utcnow())
    seen.access.db.commit()
    return RedirectResponse("/console/alerts?done=acknowledged", status_code=303)


@router.post("/console/alerts/{alert_id}/silence")
def silence(
    alert_id: str,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("alert.handle")),
) -> Response:
    """No notices about this kiosk's condition for a while, also if it is raised again."""
    hours = fields.get("hours", "")
    if not hours.isdigit() or int(hours) not in SILENCE_HOURS:
        raise ApiError(422, "invalid_input", N_("Choose how long to silence the alert."))
    alert = _alert_of(seen, alert_id)
    alerts.silence(alert, int(hours), utcnow())
    seen.access.db.commit()
    return RedirectResponse("/console/alerts?done=silenced", status_code=303)


@router.post("/console/organisations/{org_id}/alerting")
def save_recipients(
    org_id: str,
    request: Request,
    fields: dict[str, str] = Depends(form_fields),
    seen: Viewer = Depends(viewer("alerting.manage")),
) -> Response:
    org = seen.access.org(org_id)
    emails = [e.strip() for e in re.split(r"[,\s]+", fields.get("emails", "")) if e.strip()]
    bad = [e for e in emails if not EMAIL.match(e) or len(e) > 320]
    if bad or len(emails) > MAX_RECIPIENTS:
        raise ApiError(
            422, "invalid_input", f"Give at most {MAX_RECIPIENTS} e-mail addresses, like a@b.fi."
        )
    webhook = fields.get("webhook", "").strip()
    if len(webhook) > 500:
        raise ApiError(422, "invalid_input", "The webhook address may be 500 characters long.")
    if webhook:
        try:
            outbound.check_url(webhook, settings_of(request).outbound_hosts)
        except outbound.OutboundRefused as exc:
            raise ApiError(422, "invalid_input", f"The webhook cannot be used: {exc}.") from exc
    org.alerting = {"emails": emails, "webhook": webhook}
    seen.access.db.commit()
    return RedirectResponse(f"/console/alerts?saved={org.id}", status_code=303)
