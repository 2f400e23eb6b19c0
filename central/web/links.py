"""Central's own address in links that leave the page (mails, QR codes, the Janus relay)."""

from __future__ import annotations

from fastapi import Request


def public_base(request: Request) -> str:
    """The configured `public_base_url`, never the Host header a request chose, once that
    is set; unset (the demo, tests), the address the request came to."""
    configured = str(request.app.state.settings.public_base_url).rstrip("/")
    return configured or str(request.base_url).rstrip("/")
