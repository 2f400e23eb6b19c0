"""A service's channels as the kiosk sees them: PTV's channel documents (ServiceLocation,
EChannel, Phone, WebPage, PrintableForm) joined by id, with the connection's own details
(contact details, hours) taking precedence over the channel's for this service only.

The joined form older imports sent (the channel's type and names inside the connection's
`serviceChannel`, `RemoteVideo` as Palvelupiste's own channel type) is read the same way.
"""

from __future__ import annotations

from typing import Any

from central.ptv.coordinates import wgs84_of
from central.ptv.hours import service_hours
from central.ptv.texts import InvalidService, localized, name_of, text

# API.md's four channel types; `ptv_type` keeps PTV's own (a web page, a printable form).
CHANNEL_TYPES = {
    "ServiceLocation": "service_location",
    "EChannel": "electronic",
    "WebPage": "electronic",
    "PrintableForm": "electronic",
    "Phone": "phone",
    "RemoteVideo": "remote_video",  # Palvelupiste's own, never from PTV
}
PHONE_TYPES = {"Phone": "phone", "Sms": "sms", "Fax": "fax"}
CHARGE_TYPES = {
    "Chargeable": "chargeable",
    "Charged": "chargeable",
    "FreeOfCharge": "free",
    "Free": "free",
    "Other": "other",
}


def _ordered(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    items = [e for e in entries if isinstance(e, dict)]
    return sorted(items, key=lambda e: e.get("orderNumber") or 0)


def phones(entries: Any) -> list[dict[str, Any]]:
    """Phone numbers with their type (phone, sms, fax) and what a call costs."""
    out = []
    for entry in _ordered(entries):
        number = text(entry.get("number"))
        if not number:
            continue
        prefix = text(entry.get("prefixNumber"))
        service_number = bool(entry.get("isFinnishServiceNumber"))
        out.append(
            {
                "type": PHONE_TYPES.get(entry.get("type") or "Phone", "phone"),
                "number": number if service_number or not prefix else f"{prefix} {number}",
                "language": text(entry.get("language")) or None,
                "charge_type": CHARGE_TYPES.get(entry.get("serviceChargeType") or ""),
                "charge_info": text(entry.get("chargeDescription")),
                "info": text(entry.get("additionalInformation")),
            }
        )
    return out


def web_pages(entries: Any) -> list[dict[str, Any]]:
    out = []
    for entry in _ordered(entries):
        url = text(entry.get("url"))
        if url:
            out.append(
                {
                    "language": text(entry.get("language")) or None,
                    "url": url,
                    "name": text(entry.get("value")),
                }
            )
    return out


def forms(channel: dict[str, Any]) -> list[dict[str, Any]]:
    """A printable form's links, one per language and file type (PDF, DOC…)."""
    out = []
    for entry in channel.get("channelUrls") or []:
        if isinstance(entry, dict) and text(entry.get("value")):
            out.append(
                {
                    "language": text(entry.get("language")) or None,
                    "url": text(entry.get("value")),
                    "kind": text(entry.get("type")),
                }
            )
    return out


def addresses(entries: Any, field: str) -> list[dict[str, Any]]:
    out = []
    for n, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        street = entry.get("streetAddress")
        if not isinstance(street, dict):
            continue  # post office boxes and foreign addresses are not places to visit
        where = f"{field}[{n}].streetAddress"
        municipality = street.get("municipality")
        point = wgs84_of(street.get("latitude"), street.get("longitude"))
        out.append(
            {
                "type": "postal" if entry.get("type") == "Postal" else "visiting",
                "street": localized(street.get("street"), f"{where}.street"),
                "number": text(street.get("streetNumber")),
                "postal_code": text(street.get("postalCode")),
                "post_office": localized(street.get("postOffice"), f"{where}.postOffice"),
                "municipality": localized(
                    municipality.get("name") if isinstance(municipality, dict) else None,
                    f"{where}.municipality.name",
                ),
                "info": localized(
                    street.get("additionalInformation"), f"{where}.additionalInformation"
                ),
                "lat": point[0] if point else None,
                "lon": point[1] if point else None,
            }
        )
    return out


def _legacy_type(connection: dict[str, Any]) -> str:
    contact = connection.get("contactDetails") or {}
    if isinstance(contact, dict) and contact.get("webPages"):
        return "WebPage"
    if isinstance(contact, dict) and contact.get("phoneNumbers"):
        return "Phone"
    return "ServiceLocation"


def channel(connection: Any, n: int, documents: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """One connection of a service as a kiosk channel; None when its channel document is not
    at hand (PTV lists only published channels: an unpublished one is not shown)."""
    field = f"serviceChannels[{n}]"
    if not isinstance(connection, dict):
        raise InvalidService(f"{field} must be an object")
    ref = connection.get("serviceChannel") or {}
    if not isinstance(ref, dict):
        raise InvalidService(f"{field}.serviceChannel must be an object")
    doc = documents.get(str(ref.get("id"))) or ref
    raw_type = doc.get("serviceChannelType")
    if raw_type is None:
        legacy = connection.get("contactDetails") or isinstance(ref.get("name"), list)
        if doc is ref and not legacy:
            return None
        raw_type = _legacy_type(connection)
    if raw_type not in CHANNEL_TYPES:
        raise InvalidService(
            f"{field} has unknown serviceChannelType {raw_type!r}; "
            f"use one of {', '.join(CHANNEL_TYPES)}"
        )
    names = name_of(doc.get("serviceChannelNames"), f"{field}.serviceChannelNames")
    if not names:
        names = name_of(doc.get("name"), f"{field}.name")
    contact = connection.get("contactDetails")
    contact = contact if isinstance(contact, dict) else {}
    # The connection's own details are for this service only, and come first.
    phone_list = phones(contact.get("phoneNumbers")) or phones(doc.get("phoneNumbers"))
    page_list = web_pages(contact.get("webPages")) or web_pages(doc.get("webPages"))
    hours = service_hours(connection.get("serviceHours"), f"{field}.serviceHours")
    if not hours:
        hours = service_hours(doc.get("serviceHours"), f"{field}.serviceHours")
    out: dict[str, Any] = {
        "id": str(ref.get("id") or doc.get("id") or ""),
        "type": CHANNEL_TYPES[raw_type],
        "ptv_type": raw_type,
        "name": names,
        "description": localized(
            doc.get("serviceChannelDescriptions"), f"{field}.serviceChannelDescriptions", "Summary"
        ),
        "phones": phone_list,
        "web_pages": page_list,
        "forms": forms(doc),
        "addresses": addresses(doc.get("addresses"), f"{field}.addresses"),
        "emails": [
            {"language": text(e.get("language")) or None, "address": text(e.get("value"))}
            for e in _ordered(
                contact.get("emails") or doc.get("emails") or doc.get("supportEmails")
            )
            if text(e.get("value"))
        ],
        "hours": hours,
    }
    if raw_type == "EChannel":
        out["requires_authentication"] = bool(doc.get("requiresAuthentication"))
    # One phone and one address for older readers: never a fax, never an SMS number.
    first_phone = next((p for p in phone_list if p["type"] == "phone"), None)
    if first_phone:
        out["phone"] = first_phone["number"]
    links = [p["url"] for p in page_list] + [f["url"] for f in out["forms"]]
    if links:
        out["url"] = links[0]
    return out
