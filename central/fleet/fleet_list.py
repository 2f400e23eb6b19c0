"""The fleet list the console shows: kiosks with their derived status, filtered and sorted.

Status depends on the time and each site's heartbeat interval, so it is
derived per row (central/fleet/fleet_status.py) after SQL has applied the other
filters; the same rows serve a page and a bulk action ("everything this
filter shows").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from central.access.policy import Access
from central.db.models import Kiosk, Organisation, Site
from central.fleet import fleet_status
from central.fleet.fleet_status import KioskStatus

SORTS = ("name", "status", "last_seen", "version", "outbox", "site")
PAGE_SIZE = 50
PAGE_SIZES = (25, 50, 100, 200)
NEVER = datetime.min.replace(tzinfo=UTC)
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
    # Words found in the name, hardware id, site or a tag ("lobby", "hw-3f2"), any case.
    search: str | None = None
    tag: str | None = None


@dataclass
class FleetRow:
    """A kiosk as the list shows it; `devices` is filled only for the rows on the page."""

    id: str
    name: str
    site_name: str
    org_name: str
    status: KioskStatus
    last_seen: datetime | None
    software_version: str | None
    outbox_depth: int
    tags: list[str] = field(default_factory=list)
    site_id: str = ""
    devices: list[dict[str, Any]] = field(default_factory=list)


def fleet_rows(
    access: Access, wanted: FleetFilter, now: datetime, floor_s: float
) -> list[FleetRow]:
    """Every kiosk the filter shows, sorted; no health document is read (see with_devices)."""
    silent_for = {
        site_id: fleet_status.offline_after(config, floor_s)
        for site_id, config in access.db.execute(
            select(Site.id, Site.config).where(access.org_filter(Site.org_id))
        )
    }
    query = (
        select(
            Kiosk.id,
            Kiosk.name,
            Kiosk.site_id,
            Kiosk.last_seen,
            Kiosk.condition,
            Kiosk.software_version,
            Kiosk.outbox_depth,
            Site.name,
            Organisation.name,
            Kiosk.hardware_id,
            Kiosk.tags,
        )
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
    for (
        kiosk_id,
        name,
        site_id,
        seen,
        condition,
        version,
        outbox,
        site_name,
        org_name,
        hardware_id,
        tags,
    ) in access.db.execute(query):
        tags = list(tags or [])
        if wanted.tag and wanted.tag not in tags:
            continue
        if wanted.search and not _found(wanted.search, name, hardware_id, site_name, *tags):
            continue
        status = fleet_status.status_of(seen, condition, now, silent_for[site_id])
        if wanted.status and status.value != wanted.status:
            continue
        rows.append(
            FleetRow(
                kiosk_id, name, site_name, org_name, status, seen, version, outbox, tags, site_id
            )
        )
    rows.sort(key=_sort_key(wanted.sort), reverse=wanted.descending)
    return rows


def _found(search: str, *texts: str) -> bool:
    """Every word searched for is in one of the texts (Python, not SQL LIKE: the same on
    SQLite and PostgreSQL, and a fleet list is read whole for its statuses anyway)."""
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in search.casefold().split())


def with_devices(access: Access, rows: list[FleetRow]) -> list[FleetRow]:
    """Reads the devices of these rows (a page) from their last heartbeat."""
    ids = [r.id for r in rows]
    found_health = access.db.execute(select(Kiosk.id, Kiosk.health).where(Kiosk.id.in_(ids)))
    health: dict[str, Any] = {kiosk_id: h for kiosk_id, h in found_health.all()}
    for row in rows:
        found = (health.get(row.id) or {}).get("devices", [])
        row.devices = [d for d in found if isinstance(d, dict)]
    return rows


def _sort_key(sort: str) -> Any:
    keys = {
        "status": lambda r: (STATUS_ORDER[r.status], r.name),
        "last_seen": lambda r: (
            r.last_seen is None,
            r.last_seen or datetime.min.replace(tzinfo=UTC),
        ),
        "version": lambda r: (r.software_version or "", r.name),
        "outbox": lambda r: (r.outbox_depth, r.name),
        "site": lambda r: (r.site_name, r.name),
    }
    return keys.get(sort, lambda r: r.name.lower())


def choices(access: Access) -> dict[str, list[tuple[str, str]]]:
    """The filter form's options: only organisations, sites and versions the viewer may see."""
    versions = access.db.scalars(
        select(Kiosk.software_version)
        .where(access.org_filter(Kiosk.org_id), Kiosk.software_version.is_not(None))
        .distinct()
        .order_by(Kiosk.software_version)
    ).all()
    tags = sorted(
        {
            t
            for found in access.db.scalars(
                select(Kiosk.tags).where(
                    access.org_filter(Kiosk.org_id), Kiosk.retired_at.is_(None)
                )
            )
            for t in found or []
        }
    )
    return {
        "orgs": access.choices("orgs"),
        "sites": access.choices("sites"),
        "versions": [(v, v) for v in versions if v is not None],
        "tags": [(t, t) for t in tags],
    }
