"""One set of builders for what central and kiosks exchange, for tests, benchmarks and the demo.

They build through central's and the contract's own code (PTV parsing, the
kiosk's view of a booking, the hashes), so no caller carries a hand-made copy
of a format that could drift from the real one.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from central import ptv
from central.bookings.codes import derive_code, new_salt
from central.db.models import Booking, Site
from central.fleet.kiosk_sync import booking_item
from central.ptv import parse_service
from contract import codes

SAMPLE_PTV = Path(__file__).parents[1] / "data" / "ptv"
SAMPLE_OVERLAY = Path(__file__).parents[1] / "data" / "local_overlay.json"


def sample_documents() -> ptv.Documents:
    """The sample in PTV's real v11 shape (data/ptv/): services, channels, organisations."""
    return ptv.read_directory(SAMPLE_PTV)


def sample_overlay() -> dict[str, dict[str, Any]]:
    """What central adds to the sample's services (video, identification): not PTV's."""
    return json.loads(SAMPLE_OVERLAY.read_text(encoding="utf-8"))["services"]


def sample_catalogue() -> dict[str, Any]:
    """The sample as one PTV page in the joined form the import also accepts: each service
    with its channel and organisation documents in place of their ids, and the overlay's
    values as Palvelupiste's extensions (`identification`, a `RemoteVideo` channel), so a
    test can import a working catalogue in one request. 40 services of 9 organisations."""
    documents = sample_documents()
    overlay = sample_overlay()
    joined = []
    for doc in documents.services:
        service = json.loads(json.dumps(doc))
        for connection in service["serviceChannels"]:
            ref = connection["serviceChannel"]
            connection["serviceChannel"] = documents.channels.get(ref["id"], ref)
        for entry in service["organizations"]:
            org = entry["organization"]
            entry["organization"] = documents.organisations.get(org["id"], org)
        extra = overlay.get(service["id"], {})
        if "identification" in extra:
            service["identification"] = extra["identification"]
        if extra.get("remote_video"):
            video = {"id": f"video-{service['id']}", "serviceChannelType": "RemoteVideo"}
            service["serviceChannels"].append({"serviceChannel": video})
        joined.append(service)
    return {"pageNumber": 1, "pageCount": 1, "itemList": joined}


def service_ids() -> list[str]:
    return [s["id"] for s in sample_catalogue()["itemList"]]


def kiosk_services() -> list[dict[str, Any]]:
    """The sample catalogue as kiosks receive it (central's own PTV parser)."""
    return [parse_service(doc)[0] for doc in sample_catalogue()["itemList"]]


def booking_request(
    site_id: str,
    external_id: str,
    service_id: str | None = None,
    starts: datetime | None = None,
    minutes: int = 30,
    display_name: str = "Maija V.",
    **extra: Any,
) -> dict[str, Any]:
    """A `POST /bookings` body, an hour from now unless told."""
    starts = starts or datetime.now(UTC) + timedelta(hours=1)
    return {
        "external_id": external_id,
        "site_id": site_id,
        "service_id": service_id or service_ids()[0],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=minutes)).isoformat(),
        "display_name": display_name,
    } | extra


def kiosk_booking(
    service_id: str,
    display_name: str,
    starts: datetime,
    status: str = "booked",
    card_id: str | None = None,
    minutes: int = 30,
) -> tuple[dict[str, Any], str]:
    """A booking as `/kiosk/bookings` sends it, and its plain code, without a running central."""
    salt = new_salt()
    booking = Booking(
        id=secrets.token_hex(16),
        service_id=service_id,
        starts_at=starts.astimezone(UTC),
        ends_at=(starts + timedelta(minutes=minutes)).astimezone(UTC),
        display_name=display_name,
        mode="in_person",
        status="booked",
        hash_salt=salt,
        hash_alg=codes.CURRENT,
        checked_in_at=starts if status == "checked_in" else None,
    )
    code = derive_code(secrets.token_bytes(32), booking.id, 0)
    booking.code_hash = codes.booking_code_hash(code, salt)
    booking.card_hash = codes.card_hash(card_id, salt) if card_id else None
    site = Site(code_salt=new_salt())
    return booking_item(booking, site), code


def enrol_kiosks(base: str, database: str, count: int) -> list[str]:
    """`count` kiosks enrolled at a running central the way a technician does; their tokens.

    Makes a national admin straight in the database first (as `central user create`).
    """
    import requests

    from central.cli import create_user

    create_user(database, "bench@example.fi", "national_admin", None, "bench-password")
    http = requests.Session()
    token = http.post(
        f"{base}/api/v1/auth/login",
        timeout=30,
        json={"email": "bench@example.fi", "password": "bench-password"},
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    org = http.post(f"{base}/api/v1/organisations", json={"name": "Bench"}, headers=auth).json()
    site = http.post(
        f"{base}/api/v1/organisations/{org['id']}/sites", json={"name": "S"}, headers=auth
    ).json()
    tokens = []
    for n in range(count):
        enr = http.post(
            f"{base}/api/v1/sites/{site['id']}/enrollment-tokens", json={}, headers=auth
        ).json()
        kiosk = http.post(
            f"{base}/api/v1/enroll", json={"token": enr["token"], "hardware_id": f"bench-{n}"}
        ).json()
        tokens.append(kiosk["device_token"])
    return tokens
