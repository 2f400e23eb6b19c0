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

from central.settings import Settings


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(settings: Settings, label: str, now: float | None = None) -> list[dict[str, Any]]:
    """The ICE servers for one participant: every TURN URL with one credential."""
    urls = [u.strip() for u in settings.turn_urls.split(",") if u.strip()]
    if not urls or not settings.turn_secret:
        return []
    expiry = int((time.time() if now is None else now) + settings.turn_credential_ttl_s)
    username = f"{expiry}:{label}"
    return [
        {
            "urls": urls,
            "username": username,
            "credential": turn_password(settings.turn_secret, username),
        }
    ]
