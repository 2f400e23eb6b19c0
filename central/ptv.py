"""Turn services in the Finnish Service Catalogue (PTV) Open API shape into kiosk items.

PTV gives multilingual text as lists of {language, value} (names and
descriptions also carry a `type`). We keep fi, sv and en plus any other
language present, and shape each service as API.md's "service item".

Palvelupiste extensions, all optional, because PTV has no field for them:
`serviceChannels[].serviceChannel.serviceChannelType` may be `RemoteVideo`
(an etäpalvelu channel), and a service may carry
`identification: none | booking_code | strong`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

LANG_TEXT = dict[str, str]

CHANNEL_TYPES = {
    "ServiceLocation": "service_location",
    "EChannel": "electronic",
    "WebPage": "electronic",
    "PrintableForm": "electronic",
    "Phone": "phone",
    "RemoteVideo": "remote_video",
}
IDENTIFICATION = ("none", "booking_code", "strong")
GONE_STATUSES = {"Deleted", "Withdrawn", "Archived", "Removed"}
MAX_TEXT = 10_000


class InvalidService(ValueError):
    """A service document that cannot be imported; the message says why."""


def _texts(entries: Any, field: str, type_: str | None = None) -> LANG_TEXT:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise InvalidService(f"{field} must be a list of {{language, value}} objects")
    out: LANG_TEXT = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InvalidService(f"{field}[{n}] must be an object")
        if type_ is not None and entry.get("type") != type_:
            continue
        language, value = entry.get("language"), entry.get("value")
        if not isinstance(language, str) or not 2 <= len(language) <= 8:
            raise InvalidService(f"{field}[{n}].language must be a language code like 'fi'")
        if not isinstance(value, str):
            raise InvalidService(f"{field}[{n}].value must be text")
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise InvalidService(f"{field}[{n}].value is longer than {MAX_TEXT} characters")
        if value and language not in out:
            out[language] = value
    return out


def _keywords(entries: Any) -> dict[str, list[str]]:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise InvalidService("keywords must be a list of {language, value} objects")
    out: dict[str, list[str]] = {}
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise InvalidService(f"keywords[{n}] must be an object with a text value")
        language = entry.get("language")
        if not isinstance(language, str):
            raise InvalidService(f"keywords[{n}].language must be a language code")
        out.setdefault(language, []).append(entry["value"].strip())
    return out


def _organisation(organizations: Any) -> dict[str, Any] | None:
    if not isinstance(organizations, list):
        return None
    chosen = None
    for entry in organizations:
        if isinstance(entry, dict) and isinstance(entry.get("organization"), dict):
            if chosen is None or entry.get("roleType") == "Responsible":
                chosen = entry["organization"]
    if chosen is None:
        return None
    name = chosen.get("name")
    names = _texts(name, "organization.name") if isinstance(name, list) else {}
    if isinstance(name, str) and name.strip():
        names = {"fi": name.strip()}
    return {"id": str(chosen.get("id", "")), "name": names}


def _hours(service_hours: Any) -> list[dict[str, Any]]:
    hours: list[dict[str, Any]] = []
    if not isinstance(service_hours, list):
        return hours
    for block in service_hours:
        if not isinstance(block, dict):
            continue
        for opening in block.get("openingHour") or []:
            if isinstance(opening, dict) and opening.get("dayFrom"):
                hours.append(
                    {
                        "day_from": opening.get("dayFrom"),
                        "day_to": opening.get("dayTo") or opening.get("dayFrom"),
                        "from": str(opening.get("from", ""))[:5],
                        "to": str(opening.get("to", ""))[:5],
                        "closed": bool(block.get("isClosed", False)),
                    }
                )
    return hours


def _channel(connection: Any, n: int) -> dict[str, Any]:
    if not isinstance(connection, dict):
        raise InvalidService(f"serviceChannels[{n}] must be an object")
    channel = connection.get("serviceChannel") or {}
    if not isinstance(channel, dict):
        raise InvalidService(f"serviceChannels[{n}].serviceChannel must be an object")
    contact = connection.get("contactDetails") or {}
    contact = contact if isinstance(contact, dict) else {}
    raw_type = channel.get("serviceChannelType")
    if raw_type is None:
        if contact.get("webPages"):
            raw_type = "WebPage"
        elif contact.get("phoneNumbers"):
            raw_type = "Phone"
        else:
            raw_type = "ServiceLocation"
    if raw_type not in CHANNEL_TYPES:
        raise InvalidService(
            f"serviceChannels[{n}] has unknown serviceChannelType {raw_type!r}; "
            f"use one of {', '.join(CHANNEL_TYPES)}"
        )
    name = channel.get("name")
    names = _texts(name, f"serviceChannels[{n}].name") if isinstance(name, list) else {}
    if isinstance(name, str):
        names = {"fi": name}
    out: dict[str, Any] = {"type": CHANNEL_TYPES[raw_type], "name": names}
    pages = contact.get("webPages") or []
    if pages and isinstance(pages[0], dict) and pages[0].get("url"):
        out["url"] = pages[0]["url"]
    phones = contact.get("phoneNumbers") or []
    if phones and isinstance(phones[0], dict) and phones[0].get("number"):
        out["phone"] = f"{phones[0].get('prefixNumber', '')}{phones[0]['number']}".strip()
    out["hours"] = _hours(connection.get("serviceHours"))
    return out


def parse_service(doc: Any) -> tuple[dict[str, Any], bool]:
    """A PTV service document as (kiosk item, withdrawn). Raises InvalidService."""
    if not isinstance(doc, dict):
        raise InvalidService("a service must be a JSON object")
    raw_id = doc.get("id")
    try:
        service_id = str(uuid.UUID(str(raw_id)))
    except ValueError as exc:
        raise InvalidService("id must be the service's PTV UUID") from exc
    withdrawn = doc.get("publishingStatus") in GONE_STATUSES
    names = _texts(doc.get("serviceNames"), "serviceNames", "Name")
    if not names and not withdrawn:
        raise InvalidService("serviceNames has no name of type 'Name' in any language")
    identification = doc.get("identification", "none")
    if identification not in IDENTIFICATION:
        raise InvalidService(f"identification must be one of {', '.join(IDENTIFICATION)}")
    channels_raw = doc.get("serviceChannels") or []
    if not isinstance(channels_raw, list):
        raise InvalidService("serviceChannels must be a list")
    channels = [_channel(c, n) for n, c in enumerate(channels_raw)]
    classes = []
    for entry in doc.get("serviceClasses") or []:
        if isinstance(entry, dict) and entry.get("code"):
            classes.append(str(entry["code"]))
    descriptions = doc.get("serviceDescriptions")
    item: dict[str, Any] = {
        "id": service_id,
        "organisation": _organisation(doc.get("organizations")),
        "name": names,
        "summary": _texts(descriptions, "serviceDescriptions", "Summary"),
        "description": _texts(descriptions, "serviceDescriptions", "Description"),
        "instructions": _texts(descriptions, "serviceDescriptions", "UserInstruction"),
        "requirements": _texts(doc.get("requirements"), "requirements"),
        "keywords": _keywords(doc.get("keywords")),
        "classes": classes,
        "channels": channels,
        "remote_video": any(c["type"] == "remote_video" for c in channels),
        "identification": identification,
    }
    return item, withdrawn


def content_hash(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()


def service_documents(body: Any) -> list[Any]:
    """The services in an import body: an `itemList` page or one service."""
    if isinstance(body, dict) and "itemList" in body:
        items = body["itemList"]
        if not isinstance(items, list):
            raise InvalidService("itemList must be a list of services")
        return items
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return body
    raise InvalidService('send a PTV service list ({"itemList": [...]}) or one service')


def service_name(item: Any, language: str) -> str:
    """A stored service's name in `language`, else Finnish, else any it has ("" if none)."""
    names = (item or {}).get("name") if isinstance(item, dict) else None
    if not isinstance(names, dict) or not names:
        return ""
    return str(names.get(language) or names.get("fi") or next(iter(names.values())))
