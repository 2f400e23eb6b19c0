"""Usage statistics from uploaded events, for the municipality's reporting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from central.access.policy import Access, allowed
from central.api.schemas import errors
from central.db.models import Call, CallParty, Organisation, Site, UsageEvent
from central.errors import ApiError

router = APIRouter(tags=["stats"])

GROUP_COLUMNS = {
    "day": UsageEvent.local_day,
    "service": UsageEvent.service_id,
    "kiosk": UsageEvent.kiosk_id,
    "event_type": UsageEvent.type,
}


def _day(value: str | None, name: str) -> str | None:
    """A date or an RFC 3339 time, as the local day it names."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError as exc:
        raise ApiError(422, "invalid_input", f"{name} must be a date like 2026-01-31") from exc


@router.get("/stats/usage", responses=errors(401, 403, 404, 422))
def usage(
    site_id: str | None = None,
    from_: str | None = Query(default=None, alias="from", description="first day, inclusive"),
    to: str | None = Query(default=None, description="last day, inclusive"),
    group_by: Literal["day", "service", "kiosk", "event_type"] = "day",
    event_type: str | None = None,
    access: Access = Depends(allowed("stats.read")),
) -> dict[str, Any]:
    column = GROUP_COLUMNS[group_by]
    query = select(column.label("key"), func.count().label("count")).where(
        access.org_filter(UsageEvent.org_id)
    )
    if site_id is not None:
        access.site(site_id)
        query = query.where(UsageEvent.site_id == site_id)
    first, last = _day(from_, "from"), _day(to, "to")
    if first:
        query = query.where(UsageEvent.local_day >= first)
    if last:
        query = query.where(UsageEvent.local_day <= last)
    if event_type:
        query = query.where(UsageEvent.type == event_type)
    rows = access.db.execute(query.group_by(column).order_by(column)).all()
    items = [{"key": r.key, "count": r.count} for r in rows]
    return {
        "group_by": group_by,
        "from": first,
        "to": last,
        "site_id": site_id,
        "items": items,
        "total": sum(i["count"] for i in items),
    }


def _parties_of(access: Access, call_ids: list[str]) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """kind -> call id -> (language, organisation's name) of the interpreters and experts
    who joined each call: no person, only what the programme counts (an expert's
    language is "")."""
    found: dict[str, dict[str, set[tuple[str, str]]]] = {"interpreter": {}, "expert": {}}
    for start in range(0, len(call_ids), 500):
        for call_id, kind, language, name in access.db.execute(
            select(CallParty.call_id, CallParty.kind, CallParty.language, Organisation.name)
            .join(Organisation, Organisation.id == CallParty.org_id, isouter=True)
            .where(
                CallParty.call_id.in_(call_ids[start : start + 500]),
                CallParty.joined_at.is_not(None),
            )
        ):
            found.setdefault(kind, {}).setdefault(call_id, set()).add((language or "", name or ""))
    return found


@router.get("/stats/calls", responses=errors(401, 403, 404, 422))
def calls(
    site_id: str | None = None,
    from_: str | None = Query(default=None, alias="from", description="first day (UTC), inclusive"),
    to: str | None = Query(default=None, description="last day (UTC), inclusive"),
    side: Literal["host", "provider"] = Query(
        default="host",
        description="host: calls made at the organisation's sites, per service, with who "
        "served them; provider: calls its officials served at every site, per site and service",
    ),
    access: Access = Depends(allowed("stats.read")),
) -> dict[str, Any]:
    """Video calls per service: how many were asked for and answered, how long they took
    and how long citizens waited (seconds), how many were interpreted and how many had a
    second authority's expert. From central's own record of each call; counts only,
    never what was said or shown."""
    query = select(
        Call.id,
        Call.site_id,
        Call.provider_id,
        Call.service_id,
        Call.status,
        Call.outcome,
        Call.created_at,
        Call.accepted_at,
        Call.ended_at,
        Call.documents_to_citizen,
        Call.documents_from_citizen,
        Call.identification,
    )
    if side == "provider":
        query = query.where(access.org_filter(Call.provider_id))
        if site_id is not None:
            query = query.where(Call.site_id == site_id)
    else:
        query = query.where(access.org_filter(Call.org_id))
        if site_id is not None:
            access.site(site_id)
            query = query.where(Call.site_id == site_id)
    first, last = _day(from_, "from"), _day(to, "to")
    if first:
        query = query.where(
            Call.created_at >= datetime.combine(date.fromisoformat(first), time(), UTC)
        )
    if last:
        end = datetime.combine(date.fromisoformat(last), time(), UTC) + timedelta(days=1)
        query = query.where(Call.created_at < end)
    per: dict[str, dict[str, Any]] = {}
    rows = list(access.db.execute(query))
    joined = _parties_of(access, [row.id for row in rows])
    interpreted, with_experts = joined["interpreter"], joined["expert"]
    names = _names_of(access, rows)
    for row in rows:
        key = f"{row.site_id}/{row.service_id}" if side == "provider" else row.service_id
        item = per.setdefault(
            key,
            {
                **(
                    {"site_id": row.site_id, "site": names[row.site_id], "host": names[key]}
                    if side == "provider"
                    else {}
                ),
                "service_id": row.service_id,
                "by_provider": {},
                "requested": 0,
                "answered": 0,
                "duration_s": 0,
                "wait_s": 0,
                "documents_shown": 0,
                "documents_scanned": 0,
                "identified_weak": 0,
                "outcomes": {},
                "interpreted": 0,
                "interpreted_by_language": {},
                "interpreted_by_organisation": {},
                "multi_authority": 0,
                "experts_by_organisation": {},
            },
        )
        item["requested"] += 1
        provider = names[row.provider_id]
        item["by_provider"][provider] = item["by_provider"].get(provider, 0) + 1
        if row.outcome:
            item["outcomes"][row.outcome] = item["outcomes"].get(row.outcome, 0) + 1
        if row.accepted_at is not None:
            item["answered"] += 1
            item["wait_s"] += int((row.accepted_at - row.created_at).total_seconds())
            if row.ended_at is not None:
                item["duration_s"] += int((row.ended_at - row.accepted_at).total_seconds())
        item["documents_shown"] += row.documents_to_citizen
        item["documents_scanned"] += row.documents_from_citizen
        item["identified_weak"] += row.identification == "weak"
        if row.id in interpreted:
            item["interpreted"] += 1
            for language, organisation in interpreted[row.id]:
                counts = item["interpreted_by_language"]
                counts[language] = counts.get(language, 0) + 1
                counts = item["interpreted_by_organisation"]
                counts[organisation] = counts.get(organisation, 0) + 1
        if row.id in with_experts:
            item["multi_authority"] += 1
            for _, organisation in with_experts[row.id]:
                counts = item["experts_by_organisation"]
                counts[organisation] = counts.get(organisation, 0) + 1
    items = []
    for item in sorted(per.values(), key=lambda i: (i.get("site", ""), i["service_id"])):
        answered = item["answered"] or 1
        item["average_duration_s"] = round(item["duration_s"] / answered)
        item["average_wait_s"] = round(item["wait_s"] / answered)
        items.append(item)
    return {
        "from": first,
        "to": last,
        "site_id": site_id,
        "side": side,
        "items": items,
        "total": sum(i["requested"] for i in items),
    }


def _names_of(access: Access, rows: list[Any]) -> dict[str, str]:
    """Names of the sites, their hosts ("<site>/<service>" -> host) and the providers."""
    site_ids = {row.site_id for row in rows}
    names: dict[str, str] = {}
    hosts: dict[str, str] = {}
    for start in range(0, len(site_ids), 500):
        chunk = sorted(site_ids)[start : start + 500]
        for site_id, site_name, org_name in access.db.execute(
            select(Site.id, Site.name, Organisation.name)
            .join(Organisation, Organisation.id == Site.org_id)
            .where(Site.id.in_(chunk))
        ):
            names[site_id], hosts[site_id] = site_name, org_name
    providers = {row.provider_id for row in rows}
    for org_id, name in access.db.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(providers))
    ):
        names[org_id] = name
    for row in rows:
        names[f"{row.site_id}/{row.service_id}"] = hosts.get(row.site_id, "")
    return names
