"""The fleet list the console shows: kiosks with their derived status, filtered and sorted.

Status depends on the time and each site's heartbeat interval, so it is
derived per row (central/fleet_status.py) after SQL has applied the other
filters; the same rows serve a page and a bulk action ("everything this
filter shows").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from central import fleet_status
from central.db.models import Kiosk, Organisation, Site
from central.fleet_status import KioskStatus
from central.policy import Access

SORTS = ("name", "status", "last_seen", "version", "outbox", "site")
PAGE_SIZE = 50
# Worst first when sorting by status.
STATUS_ORDER = {
    KioskStatus.OFFLINE: 0,
    KioskStatus.DEGRADED: 1,
    KioskStatus.MAINTENANCE: 2,
    KioskStatus.ONLINE: 3,
    KioskStatus.NEVER_SEEN: 4,
}


@dataclass(frozen=True)
class FleetFilter:
    org_id: str | None = None
    site_id: str | None = None
    status: str | None = None
    version: str | None = None
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class FleetRow:
    kiosk: Kiosk
    site_name: str
    org_name: str
    status: KioskStatus
    problems: list[str]

    @property
    def devices(self) -> list[dict[str, Any]]:
        return [d for d in (self.kiosk.health or {}).get("devices", []) if isinstance(d, dict)]


def fleet_rows(
    access: Access, wanted: FleetFilter, now: datetime, floor_s: float
) -> list[FleetRow]:
    query = (
        select(Kiosk, Site.name, Site.config, Organisation.name)
        .join(Site, Site.id == Kiosk.site_id)
        .join(Organisation, Organisation.id == Kiosk.org_id)
        .where(access.org_filter(Kiosk.org_id), Kiosk.retired_at.is_(None))
    )
    if wanted.org_id:
        query = query.where(Kiosk.org_id == wanted.org_id)
    if wanted.site_id:
        query = query.where(Kiosk.site_id == wanted.site_id)
    if wanted.version:
        query = query.where(Kiosk.software_version == wanted.version)
    rows = []
    for kiosk, site_name, config, org_name in access.db.execute(query):
        status = fleet_status.status_of(
            kiosk.last_seen,
            kiosk.health,
            kiosk.outbox_depth,
            now,
            fleet_status.offline_after(config, floor_s),
        )
        if wanted.status and status.value != wanted.status:
            continue
        problems = fleet_status.problems_of(kiosk.health, kiosk.outbox_depth)
        rows.append(FleetRow(kiosk, site_name, org_name, status, problems))
    rows.sort(key=_sort_key(wanted.sort), reverse=wanted.descending)
    return rows


def _sort_key(sort: str) -> Any:
    keys = {
        "status": lambda r: (STATUS_ORDER[r.status], r.kiosk.name),
        "last_seen": lambda r: (r.kiosk.last_seen is None, r.kiosk.last_seen or datetime.min),
        "version": lambda r: (r.kiosk.software_version or "", r.kiosk.name),
        "outbox": lambda r: (r.kiosk.outbox_depth, r.kiosk.name),
        "site": lambda r: (r.site_name, r.kiosk.name),
    }
    return keys.get(sort, lambda r: r.kiosk.name.lower())


def choices(access: Access) -> dict[str, list[tuple[str, str]]]:
    """The filter form's options: only organisations, sites and versions the viewer may see."""
    orgs = access.db.execute(
        select(Organisation.id, Organisation.name)
        .where(access.org_filter(Organisation.id))
        .order_by(Organisation.name)
    ).all()
    sites = access.db.execute(
        select(Site.id, Site.name).where(access.org_filter(Site.org_id)).order_by(Site.name)
    ).all()
    versions = access.db.scalars(
        select(Kiosk.software_version)
        .where(access.org_filter(Kiosk.org_id), Kiosk.software_version.is_not(None))
        .distinct()
        .order_by(Kiosk.software_version)
    ).all()
    return {
        "orgs": [(i, n) for i, n in orgs],
        "sites": [(i, n) for i, n in sites],
        "versions": [(v, v) for v in versions],
    }
