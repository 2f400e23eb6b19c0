"""Time-limited TURN credentials (the TURN REST API scheme coturn implements).

The username is `<expiry unix time>:<label>`, the password the base64 of its
HMAC-SHA1 under the secret shared with coturn (`static-auth-secret`). coturn
checks both without asking central, and refuses the username after its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from central.calls.media_server import MediaServer


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(
    server: MediaServer, ttl_s: int, label: str, now: float | None = None
) -> list[dict[str, Any]]:
    """The ICE servers for one participant of a room on `server`: every TURN URL that
    goes with that Janus, with one credential."""
    if not server.turn_urls or not server.turn_secret:
        return []
    expiry = int((time.time() if now is None else now) + ttl_s)
    username = f"{expiry}:{label}"
    return [
        {
            "urls": list(server.turn_urls),
            "username": username,
            "credential": turn_password(server.turn_secret, username),
        }
    ]
