"""Central's own address in links that leave the page (mails, QR codes, the Janus relay)."""

from __future__ import annotations

from fastapi import Request

from central.settings import Settings


def public_base(request: Request) -> str:
    """The configured `public_base_url`, never the Host header a request chose, once that
    is set; unset (the demo, tests), the address the request came to."""
    settings: Settings = request.app.state.settings  # links are below the routes' deps
    configured = str(settings.public_base_url).rstrip("/")
    return configured or str(request.base_url).rstrip("/")
