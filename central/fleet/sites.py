"""What is done to a site, the one way (API and console alike): create it, give enrolment
tokens, choose its catalogue and change its kiosks' configuration."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.access.security import new_token, token_hash
from central.bookings.codes import new_salt
from central.catalogue import changes
from central.db.models import EnrolmentToken, Organisation, Service, Site, SiteService
from central.db.types import utcnow
from central.errors import ApiError
from contract.json_values import InvalidValue, check_value
from contract.kiosk_config import branding_problems

ENROLMENT_TOKEN_PREFIX = "enr"


def new_site(
    db: Session,
    org: Organisation,
    name: str,
    address: str | None = None,
    timezone: str = "Europe/Helsinki",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Site:
    site = Site(
        org_id=org.id,
        name=name.strip(),
        address=address,
        latitude=latitude,
        longitude=longitude,
        timezone=timezone,
        config={},
        config_version=1,
        code_salt=new_salt(),
    )
    db.add(site)
    return site


def new_enrolment_token(
    db: Session, site: Site, created_by: str, expires_in_s: int
) -> tuple[str, datetime]:
    """A single-use token; only its hash is kept, so it is shown once."""
    token = new_token(ENROLMENT_TOKEN_PREFIX)
    expires_at = utcnow() + timedelta(seconds=expires_in_s)
    db.add(
        EnrolmentToken(
            token_hash=token_hash(token),
            site_id=site.id,
            created_by=created_by,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def set_catalogue(db: Session, site: Site, service_ids: list[str]) -> list[str]:
    """Show these services at the site's kiosks, in this order; the caller commits."""
    wanted = list(dict.fromkeys(service_ids))
    known = set(db.scalars(select(Service.id).where(Service.id.in_(wanted))))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ApiError(
            422,
            "unknown_service",
            f"{len(unknown)} service id(s) are not in the catalogue, e.g. {unknown[0][:64]}; "
            "import them first.",
        )
    current = {
        row.service_id: row
        for row in db.scalars(select(SiteService).where(SiteService.site_id == site.id))
    }
    for position, service_id in enumerate(wanted):
        row = current.pop(service_id, None)
        if row is None:
            db.add(SiteService(site_id=site.id, service_id=service_id, position=position))
        elif row.position == position:
            continue
        else:
            row.position = position
        changes.record(db, [site.id], changes.SERVICE, service_id, deleted=False)
    for service_id, row in current.items():
        db.delete(row)
        changes.record(db, [site.id], changes.SERVICE, service_id, deleted=True)
    changes.prune(db, site)
    return wanted


MAX_CONFIG_BYTES = 64 * 1024


def check_config(config: Any) -> None:
    """What every site setting must be before it is stored, from the API or the console
    (one path: the console once stored what the API refused, and that site's kiosks,
    its API config and its page then answered 500)."""
    if not isinstance(config, dict):
        raise ApiError(400, "invalid_config", "Settings are a JSON object.")
    try:
        check_value(config)
        size = len(json.dumps(config, ensure_ascii=False, allow_nan=False).encode())
    except (InvalidValue, ValueError) as exc:
        raise ApiError(400, "invalid_config", f"The settings cannot be stored: {exc}.") from exc
    if size > MAX_CONFIG_BYTES:
        raise ApiError(413, "too_large", "The configuration may be at most 64 KiB.")
    if found := branding_problems(config):
        raise ApiError(400, "invalid_config", " ".join(found))


def set_config(site: Site, config: dict[str, Any]) -> bool:
    """The site's own settings; a change moves its version, so its kiosks fetch it."""
    check_config(config)
    if config == site.config:
        return False
    site.config = config
    site.config_version += 1
    return True
