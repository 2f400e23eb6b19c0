"""Calls through central's API as a kiosk and a desk speak it, and Janus asked directly
(what a token opens, whether a room exists)."""

from __future__ import annotations

import uuid

import requests

from devtools.central_server import RunningCentral
from devtools.central_world import ok
from devtools.media_servers import MediaServers
from devtools.sample_document import sample_pdf

PDF = sample_pdf()


def png_bytes() -> bytes:
    import cv2
    import numpy as np

    image = np.full((40, 60, 3), 200, np.uint8)
    return cv2.imencode(".png", image)[1].tobytes()


def scan_from_kiosk(central: RunningCentral, device_token: str, call_id: str) -> dict:
    """The kiosk sends a scanned page (a PNG) into the call: its DocumentRef."""
    return ok(
        central.request(
            "POST",
            f"/kiosk/calls/{call_id}/scans",
            device_token,
            data=png_bytes(),
            headers={"Content-Type": "image/png"},
        ),
        201,
    )


def kiosk_call(central, device_token, service, language="fi", **extra):
    body = {"service_id": service, "language": language, **extra}
    return ok(central.request("POST", "/kiosk/calls", device_token, json=body), 201)


def poll(central, device_token, call_id, after=0):
    return ok(central.request("GET", f"/kiosk/calls/{call_id}?after={after}", device_token))


def desk(central, token):
    return ok(central.request("GET", "/desk/state", token))


def janus_create(media: MediaServers, token: str | None) -> dict:
    body = {"janus": "create", "transaction": uuid.uuid4().hex}
    if token:
        body["token"] = token
    return requests.post(media.janus_url, json=body, timeout=5).json()


def room_exists(media: MediaServers, room: str) -> bool:
    answer = requests.post(
        media.janus_admin_url,
        json={
            "janus": "message_plugin",
            "plugin": "janus.plugin.videoroom",
            "transaction": "t",
            "admin_secret": media.janus_admin_secret,
            "request": {"request": "exists", "room": room},
        },
        timeout=5,
    ).json()
    return answer["response"]["exists"]
