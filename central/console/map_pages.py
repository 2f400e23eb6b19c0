"""A map of the sites with their kiosks' state, drawn as SVG from Finland's outline
(shipped, central/console/map/) and each site's coordinates: no tile server, no
internet, no script. A table beside it says the same for screen readers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from central.api.deps import settings_of
from central.console.map import projection
from central.console.render import render
from central.console.viewer import Viewer, viewer
from central.db.models import Site
from central.db.types import utcnow
from central.fleet.fleet_list import STATUS_ORDER, FleetFilter, fleet_rows
from central.fleet.fleet_status import KioskStatus

router = APIRouter(include_in_schema=False)
OUTLINE = Path(__file__).parent / "map" / "finland.path"


@cache
def outline() -> str:
    return OUTLINE.read_text().strip()


@router.get("/console/map")
def map_page(request: Request, seen: Viewer = Depends(viewer("kiosk.read"))) -> Response:
    db = seen.access.db
    rows = fleet_rows(seen.access, FleetFilter(), utcnow(), settings_of(request).offline_after_s)
    sites = db.execute(
        select(Site.id, Site.name, Site.latitude, Site.longitude)
        .where(seen.access.org_filter(Site.org_id))
        .order_by(Site.name)
    ).all()
    db.commit()
    by_site: dict[str, list[KioskStatus]] = {}
    for row in rows:
        by_site.setdefault(row.site_id, []).append(row.status)
    shown = []
    for site_id, name, latitude, longitude in sites:
        statuses = by_site.get(site_id, [])
        worst = min(statuses, key=lambda s: STATUS_ORDER[s]) if statuses else None
        placed = (
            projection.project(latitude, longitude)
            if latitude is not None
            and longitude is not None
            and projection.inside(latitude, longitude)
            else None
        )
        counts = {s.value: statuses.count(s) for s in KioskStatus if statuses.count(s)}
        shown.append(
            {
                "id": site_id,
                "name": name,
                "at": placed,
                "worst": worst.value if worst else "none",
                "counts": counts,
                "kiosks": len(statuses),
            }
        )
    return render(
        request,
        seen.page,
        "map.html",
        sites=shown,
        outline=outline(),
        width=projection.WIDTH,
        height=projection.HEIGHT,
    )
