"""Statements: an agreement's month in calls, minutes and euros, the same for both sides.

What a month counts is whatever the agreement served that ended before the month was
over and no earlier statement counted: calls routed under a service agreement, an
interpretation service's interpreters under an interpretation agreement. Once the month
is over the statement is issued: its figures are stored and every item it counted is
marked with its id, so it never changes, and anything that turns up later (a call ended
by a sweep after the turn of the month) goes on the next month's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central.agreements.rules import FINLAND
from central.db.models import Agreement, Call, CallParty, Organisation, Service, Site, Statement
from central.db.types import utcnow
from central.errors import ApiError
from contract.agreements import AgreementKind, CompensationBasis
from contract.call_api import PartyKind


@dataclass(frozen=True)
class Month:
    first: date

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            first = date.fromisoformat(f"{text}-01")
        except ValueError as exc:
            raise ApiError(422, "invalid_input", "Give the month like 2026-11.") from exc
        return cls(first)

    @classmethod
    def of(cls, at: datetime) -> Month:
        return cls(at.astimezone(FINLAND).date().replace(day=1))

    @property
    def name(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def last(self) -> date:
        return self.next.first - timedelta(days=1)

    @property
    def next(self) -> Month:
        return Month((self.first.replace(day=28) + timedelta(days=4)).replace(day=1))

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first, time(), FINLAND)

    @property
    def ends_at(self) -> datetime:
        return self.next.starts_at


def started_minutes(seconds: float) -> int:
    """Minutes begun: 61 s is two; a call answered at all is at least one."""
    return max(1, math.ceil(seconds / 60))


HOME = "home"  # the "site" of a visit from home in a statement's rows


def vat_of(net_cents: int, basis_points: int) -> int:
    """VAT in cents, rounded half up."""
    return (net_cents * basis_points + 5000) // 10000


def _served(agreement: Agreement) -> Select[str, str | None, str, datetime | None, datetime | None]:
    """(item id, site, service, start, end) of what the agreement served and has ended."""
    if agreement.kind == AgreementKind.INTERPRETATION:
        return (
            select(
                CallParty.id.label("item"),
                Call.site_id,
                Call.service_id,
                CallParty.joined_at.label("start"),
                CallParty.left_at.label("end"),
            )
            .join(Call, Call.id == CallParty.call_id)
            .where(
                CallParty.agreement_id == agreement.id,
                CallParty.kind == PartyKind.INTERPRETER,
                CallParty.joined_at.is_not(None),
                CallParty.left_at.is_not(None),
            )
        )
    return select(
        Call.id.label("item"),
        Call.site_id,
        Call.service_id,
        Call.accepted_at.label("start"),
        Call.ended_at.label("end"),
    ).where(
        Call.agreement_id == agreement.id,
        Call.accepted_at.is_not(None),
        Call.ended_at.is_not(None),
    )


def _counted(agreement: Agreement) -> type[Call] | type[CallParty]:
    """What the agreement's statements count: interpreters' time, or calls."""
    return CallParty if agreement.kind == AgreementKind.INTERPRETATION else Call


def _in_force_during(agreement: Agreement, month: Month) -> bool:
    if agreement.accepted_at is None or agreement.accepted_at >= month.ends_at:
        return False
    if agreement.ended_at is not None and agreement.ended_at < month.starts_at:
        return False
    return agreement.valid_from <= month.last.isoformat() and (
        agreement.valid_to is None or agreement.valid_to >= month.first.isoformat()
    )


def _site_count(db: Session, agreement: Agreement) -> int:
    if agreement.site_ids is not None:
        return len(agreement.site_ids)
    counted = select(func.count()).where(Site.org_id == agreement.host_org_id)
    return int(db.scalar(counted) or 0)


def figures(db: Session, agreement: Agreement, month: Month) -> dict[str, Any]:
    """The month's figures, not yet issued: every item of the agreement that ended before
    the month's end and no statement counted (an issued month's are stored)."""
    query = _served(agreement).where(
        _counted(agreement).statement_id.is_(None), _end_column(agreement) < month.ends_at
    )
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    items: list[str] = []
    for item, site, service_id, start, end in db.execute(query):
        items.append(item)
        site_id = site or HOME  # an interpreter in a visit from home
        row = rows.setdefault(
            (site_id, service_id),
            {"site_id": site_id, "service_id": service_id, "calls": 0, "minutes": 0},
        )
        row["calls"] += 1
        if start is not None and end is not None:  # the query's own condition
            row["minutes"] += started_minutes((end - start).total_seconds())
    names = _names(db, agreement, rows)
    ordered = sorted(rows.values(), key=lambda r: (names[r["site_id"]], r["service_id"]))
    for row in ordered:
        row["site"] = names[row["site_id"]]
        row["service"] = names.get("service:" + row["service_id"], row["service_id"])
    calls = sum(r["calls"] for r in ordered)
    minutes = sum(r["minutes"] for r in ordered)
    sites = 0
    if agreement.basis == CompensationBasis.MONTHLY_PER_SITE and _in_force_during(agreement, month):
        sites = _site_count(db, agreement)
    units = {
        CompensationBasis.PER_CALL: calls,
        CompensationBasis.PER_STARTED_MINUTE: minutes,
        CompensationBasis.MONTHLY_PER_SITE: sites,
    }[agreement.basis]
    net = units * agreement.amount_cents
    vat = vat_of(net, agreement.vat_basis_points)
    return {
        "agreement_id": agreement.id,
        "month": month.name,
        "kind": agreement.kind.value,
        "host": names["org:" + agreement.host_org_id],
        "provider": names["org:" + agreement.provider_org_id],
        "basis": agreement.basis.value,
        "amount_cents": agreement.amount_cents,
        "vat_basis_points": agreement.vat_basis_points,
        "rows": ordered,
        "calls": calls,
        "minutes": minutes,
        "sites": sites,
        "units": units,
        "net_cents": net,
        "vat_cents": vat,
        "total_cents": net + vat,
        "items": items,
    }


def _end_column(agreement: Agreement) -> Any:
    return CallParty.left_at if agreement.kind == AgreementKind.INTERPRETATION else Call.ended_at


def _names(
    db: Session, agreement: Agreement, rows: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, str]:
    site_ids = {site for site, _ in rows}
    service_ids = {service for _, service in rows}
    names: dict[str, str] = {HOME: "Etäasiointi kotoa"}
    if site_ids:
        for site_id, site_name in db.execute(
            select(Site.id, Site.name).where(Site.id.in_(site_ids))
        ):
            names[site_id] = site_name
    for service_id, item in db.execute(
        select(Service.id, Service.item).where(Service.id.in_(service_ids))
    ):
        name = (item or {}).get("name") or {}
        names["service:" + service_id] = str(name.get("fi") or name.get("en") or service_id)
    for org_id, name in db.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_([agreement.host_org_id, agreement.provider_org_id])
        )
    ):
        names["org:" + org_id] = name
    return names


def first_month(agreement: Agreement) -> Month:
    start = date.fromisoformat(agreement.valid_from)
    if agreement.accepted_at is not None:
        start = max(start, agreement.accepted_at.astimezone(FINLAND).date())
    return Month(start.replace(day=1))


def statement(db: Session, agreement: Agreement, month: Month) -> tuple[dict[str, Any], bool]:
    """(figures, issued) for the month: a closed month is issued first (with every closed
    month before it, so each item lands on the earliest month it belongs to); the
    running month is a draft that grows until it closes."""
    now = utcnow()
    if month.ends_at <= now and agreement.accepted_at is not None:
        issue_through(db, agreement, month)
    found = db.scalar(
        select(Statement).where(
            Statement.agreement_id == agreement.id, Statement.month == month.name
        )
    )
    if found is not None:
        return {**found.figures, "issued_at": found.issued_at.isoformat()}, True
    shown = figures(db, agreement, month)
    shown.pop("items")
    return {**shown, "issued_at": None}, False


def issue_through(db: Session, agreement: Agreement, last: Month) -> None:
    """Issues every closed month from the agreement's first through `last` not yet issued."""
    month = first_month(agreement)
    issued = set(db.scalars(select(Statement.month).where(Statement.agreement_id == agreement.id)))
    while month.first <= last.first:
        if month.name not in issued:
            _issue(db, agreement, month)
        month = month.next


def _issue(db: Session, agreement: Agreement, month: Month) -> None:
    counted = figures(db, agreement, month)
    items = counted.pop("items")
    row = Statement(agreement_id=agreement.id, month=month.name, figures=counted)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()  # another request issued it a moment ago: theirs stands
        return
    model = _counted(agreement)
    for start in range(0, len(items), 500):
        db.execute(
            update(model)
            .where(model.id.in_(items[start : start + 500]), model.statement_id.is_(None))
            .values(statement_id=row.id)
        )
    db.commit()
