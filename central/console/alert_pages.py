"""Alerts: what is wrong in the fleet now and lately, and who each organisation tells."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from central import outbound
from central.api.deps import settings_of
from central.console.render import render
from central.console.viewer import Viewer, form_fields, viewer
from central.db.models import Alert, Kiosk, Organisation
from central.errors import ApiError

router = APIRouter(include_in_schema=False)
RESOLVED_SHOWN = 100
MAX_RECIPIENTS = 20
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@router.get("/console/alerts")
def alerts_page(request: Request, seen: Viewer = Depends(viewer("alert.read"))) -> Response:
    db = seen.access.db
    shown = (
        select(Alert, Kiosk.name)
        .join(Kiosk, Kiosk.id == Alert.kiosk_id)
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
    )


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
