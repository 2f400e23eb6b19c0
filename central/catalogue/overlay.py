"""Palvelupiste's own facts about a service, which PTV has no field for: that it is offered
by video (everywhere, or at one site) and the identification it needs. Kept in their own
table beside the PTV data, so no sync or import ever overwrites them, and laid over the
PTV item when a kiosk syncs (central/fleet/kiosk_sync.py).

Which officials serve a service is the officials' own profile (OfficialProfile.services),
likewise outside the PTV data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.catalogue import changes
from central.db.models import ServiceOverlay, SiteService
from central.ptv.services import IDENTIFICATION

EVERY_SITE = ""


def overlays(db: Session, site_id: str, service_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each service's overlay at this site: the site's own values over every site's."""
    rows = db.scalars(
        select(ServiceOverlay).where(
            ServiceOverlay.service_id.in_(list(service_ids)),
            ServiceOverlay.site_id.in_([EVERY_SITE, site_id]),
        )
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.site_id != EVERY_SITE):
        values = out.setdefault(row.service_id, {})
        if row.remote_video is not None:
            values["remote_video"] = row.remote_video
        if row.identification is not None:
            values["identification"] = row.identification
    return out


def laid_over(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The PTV item with the overlay's values; video adds (or removes) the video channel."""
    if not values:
        return item
    out = dict(item)
    if "identification" in values:
        out["identification"] = values["identification"]
    if "remote_video" in values:
        channels = [c for c in item.get("channels") or [] if c.get("type") != "remote_video"]
        if values["remote_video"]:
            video = [c for c in item.get("channels") or [] if c.get("type") == "remote_video"]
            channels += video or [{"type": "remote_video", "name": {}, "hours": []}]
        out["channels"] = channels
        out["remote_video"] = bool(values["remote_video"])
    return out


class InvalidOverlay(ValueError):
    pass


def put(
    db: Session,
    service_id: str,
    site_id: str,
    remote_video: bool | None,
    identification: str | None,
) -> ServiceOverlay | None:
    """Set (or, with both values None, remove) one overlay row; the kiosks showing the
    service get it again at their next sync."""
    if identification is not None and identification not in IDENTIFICATION:
        raise InvalidOverlay(f"identification must be one of {', '.join(IDENTIFICATION)}")
    row = db.get(ServiceOverlay, (service_id, site_id))
    if remote_video is None and identification is None:
        if row is not None:
            db.delete(row)
        row = None
    else:
        if row is None:
            row = ServiceOverlay(service_id=service_id, site_id=site_id)
            db.add(row)
        row.remote_video = remote_video
        row.identification = identification
    showing = db.scalars(select(SiteService.site_id).where(SiteService.service_id == service_id))
    sites = [s for s in showing if site_id in (EVERY_SITE, s)]
    changes.record(db, sites, changes.SERVICE, service_id, False)
    db.flush()
    return row


def listed(db: Session, service_id: str) -> list[dict[str, Any]]:
    rows = db.scalars(select(ServiceOverlay).where(ServiceOverlay.service_id == service_id))
    return [
        {
            "site_id": row.site_id or None,
            "remote_video": row.remote_video,
            "identification": row.identification,
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]
