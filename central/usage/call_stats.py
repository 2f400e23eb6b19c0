"""Video calls counted for reports: per service (and, for a provider, per site), summed in
the database so a month of a national provider's calls is a few grouped rows, not a
row per call. Counts, durations and waits only: never what was said or shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from central.db.models import Call, CallParty, Organisation, Site
from central.db.types import SecondsBetween
from contract.appointments import VisitPlace
from contract.call_api import IdentificationLevel


def _empty() -> dict[str, Any]:
    return {
        "requested": 0,
        # Visits from home (/visit/), counted apart from those at service points.
        "from_home": 0,
        "answered": 0,
        "duration_s": 0,
        "wait_s": 0,
        "outcomes": {},
        "by_provider": {},
    }


def _add(item: dict[str, Any], row: Any, provider: str) -> None:
    item["requested"] += row.requested
    item["from_home"] += int(row.home or 0)
    item["answered"] += row.answered
    item["duration_s"] += round(row.duration_s or 0)
    item["wait_s"] += round(row.wait_s or 0)
    if row.outcome:
        item["outcomes"][row.outcome] = item["outcomes"].get(row.outcome, 0) + row.requested
    item["by_provider"][provider] = item["by_provider"].get(provider, 0) + row.requested


def _averages(item: dict[str, Any]) -> dict[str, Any]:
    answered = item["answered"] or 1
    item["average_duration_s"] = round(item["duration_s"] / answered)
    item["average_wait_s"] = round(item["wait_s"] / answered)
    return item


def _counted(key: Any, where: list[ColumnElement[bool]]) -> Any:
    return (
        select(
            key.label("key"),
            Call.provider_id,
            Call.outcome,
            func.count().label("requested"),
            func.count(Call.accepted_at).label("answered"),
            func.sum(SecondsBetween(Call.accepted_at, Call.ended_at)).label("duration_s"),
            func.sum(SecondsBetween(Call.created_at, Call.accepted_at)).label("wait_s"),
            func.sum(Call.documents_to_citizen).label("shown"),
            func.sum(Call.documents_from_citizen).label("scanned"),
            func.sum(case((Call.identification == IdentificationLevel.WEAK, 1), else_=0)).label(
                "weak"
            ),
            func.sum(case((Call.identification == IdentificationLevel.STRONG, 1), else_=0)).label(
                "strong"
            ),
            func.sum(case((Call.place == VisitPlace.HOME, 1), else_=0)).label("home"),
        )
        .where(*where)
        .group_by(key, Call.provider_id, Call.outcome)
    )


def _names(db: Session, model: Any, ids: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        for row_id, name in db.execute(
            select(model.id, model.name).where(model.id.in_(ordered[start : start + 500]))
        ):
            found[row_id] = name
    return found


def per_service(db: Session, where: list[ColumnElement[bool]]) -> list[dict[str, Any]]:
    """One item per service: asked for, answered, how long, how long citizens waited, the
    outcomes, who served them (`by_provider`), documents, weak identifications, and how
    many calls an interpreter (by language and service) or another authority's expert
    joined."""
    rows = db.execute(_counted(Call.service_id, where)).all()
    providers = _names(db, Organisation, {row.provider_id for row in rows})
    per: dict[str, dict[str, Any]] = {}
    for row in rows:
        item = per.setdefault(
            row.key,
            {
                "service_id": row.key,
                **_empty(),
                "documents_shown": 0,
                "documents_scanned": 0,
                "identified_weak": 0,
                "identified_strong": 0,
                "interpreted": 0,
                "interpreted_by_language": {},
                "interpreted_by_organisation": {},
                "multi_authority": 0,
                "experts_by_organisation": {},
            },
        )
        _add(item, row, providers.get(row.provider_id, ""))
        item["documents_shown"] += row.shown or 0
        item["documents_scanned"] += row.scanned or 0
        item["identified_weak"] += row.weak or 0
        item["identified_strong"] += row.strong or 0
    joined = CallParty.joined_at.is_not(None)
    calls_with = select(Call.service_id, CallParty.kind, func.count(func.distinct(Call.id)))
    for service_id, kind, count in db.execute(
        calls_with.join(CallParty, Call.id == CallParty.call_id)
        .where(*where, joined)
        .group_by(Call.service_id, CallParty.kind)
    ):
        if service_id in per:
            per[service_id]["interpreted" if kind == "interpreter" else "multi_authority"] += count
    for service_id, kind, language, name, count in db.execute(
        select(
            Call.service_id,
            CallParty.kind,
            CallParty.language,
            Organisation.name,
            func.count(func.distinct(Call.id)),
        )
        .join(CallParty, Call.id == CallParty.call_id)
        .join(Organisation, Organisation.id == CallParty.org_id, isouter=True)
        .where(*where, joined)
        .group_by(Call.service_id, CallParty.kind, CallParty.language, Organisation.name)
    ):
        found = per.get(service_id)
        if found is None:
            continue
        if kind == "interpreter":
            by = found["interpreted_by_language"]
            by[language or ""] = by.get(language or "", 0) + count
            by = found["interpreted_by_organisation"]
        else:
            by = found["experts_by_organisation"]
        by[name or ""] = by.get(name or "", 0) + count
    return [_averages(per[key]) for key in sorted(per)]


def per_site(db: Session, where: list[ColumnElement[bool]]) -> list[dict[str, Any]]:
    """One item per site, with its name and its organisation's (the host): what a
    provider's admins see of the service points their officials serve."""
    rows = db.execute(_counted(Call.site_id, where)).all()
    site_ids = {row.key for row in rows}
    sites = (
        {
            site_id: (name, host)
            for site_id, name, host in db.execute(
                select(Site.id, Site.name, Organisation.name)
                .join(Organisation, Organisation.id == Site.org_id)
                .where(Site.id.in_(sorted(site_ids)))
            )
        }
        if site_ids
        else {}
    )
    providers = _names(db, Organisation, {row.provider_id for row in rows})
    per: dict[str, dict[str, Any]] = {}
    for row in rows:
        name, host = sites.get(row.key, ("", ""))
        # Visits from home have no site: one row of their own (site_id null).
        item = per.setdefault(row.key, {"site_id": row.key, "site": name, "host": host, **_empty()})
        _add(item, row, providers.get(row.provider_id, ""))
    return [_averages(item) for item in sorted(per.values(), key=lambda i: (i["host"], i["site"]))]
