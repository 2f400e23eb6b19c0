"""A PTV service (V11VmOpenApiService) with its channel and organisation documents joined,
as the kiosk's service item (API.md "A service item", with the fields docs/ptv.md adds).

Texts are kept in every language PTV has them in and never copied between languages: the
kiosk picks a fallback when it shows them. Palvelupiste's own facts about a service (video
at a site, identification) are not PTV's: they come from the overlay (central/catalogue/overlay.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from central.ptv.channels import channel
from central.ptv.texts import InvalidService, keywords, localized, name_of

IDENTIFICATION = ("none", "booking_code", "strong")
# Published and Modified (a published service with a newer draft) are shown; Deleted,
# Removed and OldPublished are not, nor Draft. Archived and Withdrawn are values of the
# list endpoints' `status` query, kept here for documents written by hand.
SHOWN_STATUSES = {"Published", "Modified", None}
DESCRIPTIONS = {
    "summary": "Summary",
    "description": "Description",
    "instructions": "UserInstruction",
}


def _descriptions(entries: Any, type_: str) -> dict[str, str]:
    """The service's own text in each language, else the general description's (GD_)."""
    own = localized(entries, "serviceDescriptions", type_)
    general = localized(entries, "serviceDescriptions", f"GD_{type_}")
    return general | own


def _organisation(doc: dict[str, Any], organisations: dict[str, dict[str, Any]]) -> dict | None:
    chosen = None
    for entry in doc.get("organizations") or []:
        if isinstance(entry, dict) and isinstance(entry.get("organization"), dict):
            if chosen is None or entry.get("roleType") == "Responsible":
                chosen = entry["organization"]
    if chosen is None and isinstance(doc.get("mainOrganization"), dict):
        chosen = doc["mainOrganization"]
    if chosen is None:
        return None
    org_id = str(chosen.get("id", ""))
    full = organisations.get(org_id) or chosen  # joined: the document in place of the id
    names = name_of(full.get("organizationNames"), "organizationNames")
    return {"id": org_id, "name": names or name_of(chosen.get("name"), "organization.name")}


def parse_service(
    doc: Any,
    channels: dict[str, dict[str, Any]] | None = None,
    organisations: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], bool]:
    """A PTV service document as (kiosk item, withdrawn). Raises InvalidService."""
    if not isinstance(doc, dict):
        raise InvalidService("a service must be a JSON object")
    try:
        service_id = str(uuid.UUID(str(doc.get("id"))))
    except ValueError as exc:
        raise InvalidService("id must be the service's PTV UUID") from exc
    withdrawn = doc.get("publishingStatus") not in SHOWN_STATUSES
    names = localized(doc.get("serviceNames"), "serviceNames", "Name")
    if not names and not withdrawn:
        raise InvalidService("serviceNames has no name of type 'Name' in any language")
    identification = doc.get("identification", "none")
    if identification not in IDENTIFICATION:
        raise InvalidService(f"identification must be one of {', '.join(IDENTIFICATION)}")
    connections = doc.get("serviceChannels") or []
    if not isinstance(connections, list):
        raise InvalidService("serviceChannels must be a list")
    joined = [channel(c, n, channels or {}) for n, c in enumerate(connections)]
    found = [c for c in joined if c is not None]
    classes = [
        str(entry["code"])
        for entry in doc.get("serviceClasses") or []
        if isinstance(entry, dict) and entry.get("code")
    ]
    descriptions = doc.get("serviceDescriptions")
    languages = doc.get("availableLanguages")
    item: dict[str, Any] = {
        "id": service_id,
        "organisation": _organisation(doc, organisations or {}),
        "name": names,
        **{key: _descriptions(descriptions, type_) for key, type_ in DESCRIPTIONS.items()},
        "requirements": localized(doc.get("requirements"), "requirements"),
        "keywords": keywords(doc.get("keywords")),
        "classes": classes,
        "languages": [x for x in languages if isinstance(x, str)]
        if isinstance(languages, list)
        else sorted(names),
        "charge": {"FreeOfCharge": "free", "Chargeable": "chargeable"}.get(
            doc.get("serviceChargeType") or ""
        ),
        "channels": found,
        "remote_video": any(c["type"] == "remote_video" for c in found),
        "identification": identification,
    }
    return item, withdrawn


def content_hash(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()


def service_name(item: Any, language: str) -> str:
    """A stored service's name in `language`, else Finnish, else any it has ("" if none)."""
    names = (item or {}).get("name") if isinstance(item, dict) else None
    if not isinstance(names, dict) or not names:
        return ""
    return str(names.get(language) or names.get("fi") or next(iter(names.values())))
