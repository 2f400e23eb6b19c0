"""A provider's view of the host sites it serves: the sites its agreements in force
cover, with the services and languages served at each. Names and addresses only: a
provider never sees a host's kiosks or fleet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from central.access.policy import Access
from central.agreements import rules
from central.db.models import Agreement, Organisation, Site
from central.db.types import utcnow
from contract.agreements import AgreementKind, AgreementStatus


def served_sites(access: Access) -> list[dict[str, Any]]:
    now = utcnow()
    query = select(Agreement).where(
        Agreement.kind == AgreementKind.SERVICE, Agreement.status == AgreementStatus.ACTIVE
    )
    if not access.is_national:
        query = query.where(Agreement.provider_org_id == access.person.org_id)
    items = []
    for agreement in access.db.scalars(query):
        if not rules.in_force(agreement, now):
            continue
        sites = select(Site.id, Site.name, Site.address, Organisation.name.label("host")).join(
            Organisation, Organisation.id == Site.org_id
        )
        if agreement.site_ids is None:
            sites = sites.where(Site.org_id == agreement.host_org_id)
        else:
            sites = sites.where(Site.id.in_(agreement.site_ids))
        for site in access.db.execute(sites.order_by(Site.name)):
            items.append(
                {
                    "site_id": site.id,
                    "site": site.name,
                    "address": site.address,
                    "host": site.host,
                    "agreement_id": agreement.id,
                    "provider_org_id": agreement.provider_org_id,
                    "service_ids": agreement.service_ids,
                    "languages": agreement.languages,
                }
            )
    return sorted(items, key=lambda i: (i["host"], i["site"]))
