"""An organisation's services from the PTV Open API into central, and the schedule.

A pass reads every page of the organisation's published services. Services that are new,
whose `modified` moved, or that were withdrawn are joined with their channel and
organisation documents and imported; on a full pass (every `full_every_hours`, because
changing a connection or a channel does not move a service's `modified`) all of them are.
A service of this organisation missing from a complete read of the list is withdrawn
(archived services show up only as absence), and so is any known service in PTV's
archived list, whoever imported it. If any page cannot be read, nothing is withdrawn and
the pass reports the error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from central import outbound
from central.background import Every
from central.catalogue import catalogue_import
from central.db.models import Organisation, PtvSync, Service
from central.db.types import utcnow
from central.ptv.client import PtvClient, PtvError
from central.ptv.documents import Documents
from central.settings import Settings

log = logging.getLogger("central.ptv")


def _channel_ids(services: Iterable[dict[str, Any]]) -> list[str]:
    ids = []
    for doc in services:
        for connection in doc.get("serviceChannels") or []:
            ref = connection.get("serviceChannel") if isinstance(connection, dict) else None
            if isinstance(ref, dict) and ref.get("id"):
                ids.append(str(ref["id"]))
    return ids


def _organisation_ids(services: Iterable[dict[str, Any]]) -> list[str]:
    ids = []
    for doc in services:
        for entry in doc.get("organizations") or []:
            org = entry.get("organization") if isinstance(entry, dict) else None
            if isinstance(org, dict) and org.get("id"):
                ids.append(str(org["id"]))
        main = doc.get("mainOrganization")
        if isinstance(main, dict) and main.get("id"):
            ids.append(str(main["id"]))
    return ids


def sync_organisation(
    db: Session,
    client: PtvClient,
    ptv_organisation: str,
    full: bool = True,
    archived_since: datetime | None = None,
) -> dict[str, Any]:
    """One pass; commits nothing (the caller does). Raises PtvError when PTV cannot be read."""
    listed: list[dict[str, Any]] = []
    for page in client.organisation_services(ptv_organisation):
        listed.extend(page)
    known = {
        s.id: s
        for s in db.scalars(
            select(Service).where(Service.id.in_([str(d.get("id")) for d in listed]))
        )
    }

    def owned_elsewhere(stored: Service) -> bool:
        """Another organisation's sync keeps it fresh, and still lists it."""
        owner = stored.ptv_organisation
        return (
            not stored.withdrawn
            and owner not in (None, ptv_organisation)
            and owner in (stored.ptv_listed_by or [])
        )

    def needs_join(doc: dict[str, Any]) -> bool:
        stored = known.get(str(doc.get("id")))
        if stored is not None and owned_elsewhere(stored):
            return False  # read once, by its owner's pass
        return (
            full
            or stored is None
            or stored.withdrawn
            or stored.ptv_modified != doc.get("modified")
            or stored.ptv_organisation != ptv_organisation
        )

    wanted = [d for d in listed if needs_join(d)]
    documents = Documents(
        services=wanted,
        channels={str(c["id"]): c for c in client.channels(_channel_ids(wanted)) if c.get("id")},
        organisations={
            str(o["id"]): o for o in client.organisations(_organisation_ids(wanted)) if o.get("id")
        },
    )
    planned = catalogue_import.plan(db, documents)
    # Leaving, each once: this organisation's services missing from a complete read of its
    # list (archived ones show up only as absence), and any service central knows that PTV
    # lists as archived, whoever imported it (a file import has no organisation to read).
    listed_ids = {str(d.get("id")) for d in listed}
    archived: set[str] = set()
    since = archived_since.strftime("%Y-%m-%dT%H:%M:%S") if archived_since else None
    for page in client.archived_services(since):
        archived.update(str(x.get("id")) for x in page if x.get("id"))
    handed_over = _stop_listing(db, ptv_organisation, listed_ids)
    leaving = (_ours(db, ptv_organisation) - handed_over | archived) - listed_ids
    planned.steps += catalogue_import.withdrawals(db, sorted(leaving))
    result = catalogue_import.apply(db, planned, ptv_organisation=ptv_organisation)
    _start_listing(db, ptv_organisation, listed_ids)
    return {
        **result,
        "listed": len(listed),
        "joined": len(wanted),
        "full": full,
        "requests": client.requests_made,
    }


def _start_listing(db: Session, ptv_organisation: str, listed_ids: set[str]) -> None:
    rows = db.execute(select(Service.id, Service.ptv_listed_by).where(Service.id.in_(listed_ids)))
    for service_id, listers in rows.all():
        if ptv_organisation not in (listers or []):
            listed_by = sorted({*(listers or []), ptv_organisation})
            db.execute(
                update(Service).where(Service.id == service_id).values(ptv_listed_by=listed_by)
            )


def _stop_listing(db: Session, ptv_organisation: str, listed_ids: set[str]) -> set[str]:
    """This organisation no longer lists these services: it leaves their `ptv_listed_by`;
    one it owned goes to another organisation that still lists it (whose pass keeps it
    fresh from now on) instead of being withdrawn. Returns those handed over. Reads only
    the three columns it needs: a pass must not load every service's whole item."""
    handed_over = set()
    rows = db.execute(
        select(Service.id, Service.ptv_listed_by, Service.ptv_organisation).where(
            Service.ptv_listed_by.is_not(None)
        )
    )
    for service_id, listers, owner in rows.all():
        listers = listers or []
        if service_id in listed_ids or ptv_organisation not in listers:
            continue
        rest = [o for o in listers if o != ptv_organisation]
        changes: dict[str, Any] = {"ptv_listed_by": rest or None}
        if owner == ptv_organisation and rest:
            changes["ptv_organisation"] = rest[0]
            handed_over.add(service_id)
        db.execute(update(Service).where(Service.id == service_id).values(**changes))
    return handed_over


def _ours(db: Session, ptv_organisation: str) -> set[str]:
    return set(db.scalars(select(Service.id).where(Service.ptv_organisation == ptv_organisation)))


def client_for(sync: PtvSync, settings: Settings) -> PtvClient:
    """The client central's own syncs use: only the private hosts the operator named
    (each request's address checked, central/outbound.py), settings' retry pause."""
    return PtvClient(
        sync.api_base,
        allowed_hosts=tuple(settings.outbound_hosts),
        backoff_s=settings.ptv_retry_pause_s,
    )


def run(db: Session, sync: PtvSync, client: PtvClient) -> dict[str, Any]:
    """One scheduled pass of an organisation's sync; its result (or error) is kept on it."""
    now = utcnow()
    full = sync.last_full_at is None or now - sync.last_full_at >= timedelta(
        hours=sync.full_every_hours
    )
    try:
        result = sync_organisation(
            db, client, sync.ptv_organisation, full=full, archived_since=sync.last_run_at
        )
    except PtvError as exc:
        db.rollback()
        sync = db.merge(sync)
        sync.last_result = {"at": now.isoformat(), "error": str(exc)}
        db.commit()
        log.warning("PTV sync of %s failed: %s", sync.ptv_organisation, exc)
        return sync.last_result
    sync.last_run_at = now
    if full:
        sync.last_full_at = now
    sync.last_result = {"at": now.isoformat(), **result}
    db.commit()
    return sync.last_result


class InvalidSync(ValueError):
    """Settings that cannot be saved; the message says which and why."""


def configure(
    db: Session,
    org: Organisation,
    api_base: str,
    ptv_organisation: str | None,
    enabled: bool = True,
    every_minutes: int = 60,
    full_every_hours: int = 24,
    allowed_hosts: Sequence[str] = (),
) -> PtvSync:
    """An organisation's sync settings, checked (the API's and the console's one way)."""
    chosen = (ptv_organisation or org.ptv_id or "").strip()
    try:
        uuid.UUID(chosen)
    except ValueError as exc:
        raise InvalidSync(
            "Give the PTV organisation id (a UUID); the organisation has none."
        ) from exc
    if len(api_base) > 500:
        raise InvalidSync("The PTV address may be 500 characters long.")
    try:
        outbound.check_url(api_base, allowed_hosts)
    except outbound.OutboundRefused as exc:
        raise InvalidSync(f"The PTV address cannot be used: {exc}.") from exc
    if not 5 <= every_minutes <= 7 * 24 * 60 or not 1 <= full_every_hours <= 24 * 31:
        raise InvalidSync("Sync every 5 minutes to 7 days; read everything every 1 to 744 hours.")
    row = db.get(PtvSync, org.id) or PtvSync(organisation_id=org.id, last_result={})
    row.api_base = api_base.rstrip("/")
    row.ptv_organisation = chosen
    row.enabled = enabled
    row.every_minutes = every_minutes
    row.full_every_hours = full_every_hours
    db.add(row)
    db.flush()
    return row


def due(db: Session, now: datetime) -> list[PtvSync]:
    rows = db.scalars(select(PtvSync).where(PtvSync.enabled.is_(True))).all()
    return [
        r
        for r in rows
        if r.last_run_at is None or now - r.last_run_at >= timedelta(minutes=r.every_minutes)
    ]


def runner(sessions: sessionmaker[Session], settings: Settings) -> Every:
    """Every organisation's sync when it is due, one after another, in a thread of its own."""

    def pass_once() -> None:
        with sessions() as db:
            for sync in due(db, utcnow()):
                run(db, sync, client_for(sync, settings))

    return Every(
        "ptv-sync",
        settings.ptv_sync_check_every_s,
        pass_once,
        sessions=sessions,
        instance=settings.instance_name,
    )
