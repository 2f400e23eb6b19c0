"""Usage reports: figures, charts and the table of counts for a date range, its CSV, and a
printable monthly report per organisation."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from central.console.i18n import translations
from central.console.render import environment, paged, render
from central.console.viewer import N_, Viewer, viewer
from central.errors import ApiError
from central.usage.usage_report import (
    ACTIVITIES,
    MAX_DAYS,
    ROWS_BY,
    Report,
    ReportFilter,
    build,
    today,
)
from central.web.attachment import content_disposition
from contract.events import EVENT_TYPES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _date(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError as exc:
        raise ApiError(422, "invalid_input", "Give dates like 2026-11-30.") from exc


def _filter(request: Request, seen: Viewer) -> ReportFilter:
    params = request.query_params
    last = _date(params.get("to"), today())
    first = _date(params.get("from"), last - timedelta(days=29))
    if first > last or (last - first).days >= MAX_DAYS:
        raise ApiError(422, "invalid_input", f"Choose at most {MAX_DAYS} days, first day first.")
    person = seen.access.person
    org_id = params.get("org") or None
    if person.org_id is not None:
        org_id = person.org_id  # an organisation's admin sees their own, whatever is asked
    elif org_id:
        seen.access.org(org_id)
    site_id, kiosk_id = params.get("site") or None, params.get("kiosk") or None
    if site_id:
        seen.access.site(site_id)
    if kiosk_id:
        seen.access.kiosk(kiosk_id)
    event_type = params.get("event_type") or None
    if event_type and event_type not in EVENT_TYPES:
        raise ApiError(422, "invalid_input", "Choose one of the event types offered.")
    rows_by = params.get("rows_by") or "day"
    if rows_by not in ROWS_BY:
        raise ApiError(422, "invalid_input", "Count the rows by day, site, kiosk or service.")
    return ReportFilter(first, last, org_id, site_id, kiosk_id, event_type, rows_by)


def _query(wanted: ReportFilter) -> dict[str, str]:
    out = {
        "from": wanted.first.isoformat(),
        "to": wanted.last.isoformat(),
        "org": wanted.org_id,
        "site": wanted.site_id,
        "kiosk": wanted.kiosk_id,
        "event_type": wanted.event_type,
        "rows_by": wanted.rows_by if wanted.rows_by != "day" else None,
    }
    return {k: v for k, v in out.items() if v}


def _charts(report: Report) -> str:
    top = report.per_service[:10]
    charts = [
        {
            "canvas": "chart-visits",
            "type": "bar",
            "label": "visits",
            "labels": list(report.visits_per_day),
            "values": list(report.visits_per_day.values()),
        },
        {
            "canvas": "chart-services",
            "type": "bar",
            "horizontal": True,
            "label": "views",
            "labels": [name for name, _ in top],
            "values": [count for _, count in top],
        },
        {
            "canvas": "chart-satisfaction",
            "type": "bar",
            "label": "answers",
            "labels": [str(s) for s in report.satisfaction],
            "values": list(report.satisfaction.values()),
        },
    ]
    # Inside <script type="application/json">: "</" must not end the element.
    return json.dumps({"charts": charts}).replace("</", "<\\/")


@router.get("/console/reports")
def report_page(request: Request, seen: Viewer = Depends(viewer("stats.read"))) -> Response:
    wanted = _filter(request, seen)
    report = build(seen.access.db, wanted, seen.page.language)
    choices = {kind: seen.access.choices(kind) for kind in ("orgs", "sites", "kiosks")}
    seen.access.db.commit()
    shown, page, pages = paged(report.rows, request.query_params.get("page"), PAGE_SIZE)
    query = _query(wanted)
    return render(
        request,
        seen.page,
        "reports.html",
        report=report,
        rows=shown,
        page_number=page,
        pages=pages,
        wanted=wanted,
        filter_query=query,
        choices=choices,
        event_types=sorted(EVENT_TYPES),
        rows_by=ROWS_BY,
        activities=ACTIVITIES,
        charts=_charts(report),
        national=seen.access.person.org_id is None,
    )


@router.get("/console/reports.csv")
def report_csv(request: Request, seen: Viewer = Depends(viewer("stats.read"))) -> Response:
    """Exactly the rows the report's table shows for this filter, on all its pages, in
    the page's language as the table has them ("Päivä, Tapahtuma, Määrä"), with each
    event's code last for programs that read it. A byte order mark lets Excel read it
    as UTF-8."""
    wanted = _filter(request, seen)
    report = build(seen.access.db, wanted, seen.page.language)
    seen.access.db.commit()
    words = translations(seen.page.language)
    macros = environment(seen.page.language).get_template("_macros.html").module
    dimension = {
        "day": N_("Day"),
        "site": N_("Site"),
        "kiosk": N_("Kiosk"),
        "service": N_("Service"),
    }
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            words.gettext(dimension[wanted.rows_by]),
            words.gettext("Event"),
            words.gettext("Count"),
            "event_type",
        ]
    )
    for row in report.rows:
        name = str(macros.activity_name(row.event_type)).strip()  # type: ignore[attr-defined]
        writer.writerow([row.key, name, row.count, row.event_type])
    name = f"palvelupiste-{wanted.first.isoformat()}-{wanted.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": content_disposition(name)},
    )


@router.get("/console/reports/monthly")
def monthly_report(request: Request, seen: Viewer = Depends(viewer("stats.read"))) -> Response:
    """One organisation's month on one printable page (the browser prints it to PDF)."""
    params = request.query_params
    month = params.get("month") or today().strftime("%Y-%m")
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ApiError(422, "invalid_input", "Give the month like 2026-11.") from exc
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    person = seen.access.person
    org_id = person.org_id or params.get("org")
    if not org_id:
        raise ApiError(422, "invalid_input", "Choose the organisation to report on.")
    org = seen.access.org(org_id)
    report = build(seen.access.db, ReportFilter(first, last, org.id), seen.page.language)
    seen.access.db.commit()
    return render(
        request,
        seen.page,
        "monthly.html",
        report=report,
        org=org,
        month=month,
        activities=ACTIVITIES,
    )
