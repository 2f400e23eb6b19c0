"""A kiosk enrolled at a real central, for the agent's tests."""

from __future__ import annotations

from pathlib import Path

from devtools.central_world import ok
from kiosk.agent.agent import Agent, AgentSettings
from kiosk.agent.cli import enrol
from kiosk.agent.client import CentralClient, Credentials
from kiosk.store import StateStore


def enrolled_agent(
    central,
    org,
    state_dir: Path,
    central_url: str | None = None,
    store_timeout_s: float = 10.0,
    **settings,
) -> tuple[Agent, Credentials]:
    """Enrol through the real CLI code path; `central_url` may point at a faulty proxy."""
    token = ok(
        central.request(
            "POST", f"/sites/{org.site_id}/enrollment-tokens", org.tokens["technician"], json={}
        ),
        201,
    )["token"]
    creds = enrol(state_dir, central.base, token, hw_id=f"hw-{state_dir.name}")
    store = StateStore(state_dir / "state.db", timeout_s=store_timeout_s)
    client = CentralClient(central_url or creds.central, creds.device_token)
    settings.setdefault("page_limit", 10)
    return Agent(store, client, AgentSettings(**settings)), creds
