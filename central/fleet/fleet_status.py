"""A kiosk's status as people see it, derived in one place from its last heartbeat.

`last_seen` moves only when a heartbeat arrives (central/fleet/heartbeats.py), so
the status is honest: a kiosk is offline once it has been silent for
max(3 × its heartbeat interval, `offline_after_s`), whatever else it did.
A kiosk never seen since enrolment is `never_seen`, not offline: it raises
no alarm until it has once been up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from contract.device_states import FAULTS
from contract.kiosk_config import KioskConfig

# The UI's screen name when the kiosk is closed for maintenance (kiosk/ui/app.py).
MAINTENANCE_SCREEN = "maintenance"
# Below this much free disk the kiosk is degraded (logs, scans and the outbox live there).
DISK_LOW_MB = 500
# An outbox this deep means central has not taken usage data for a long while.
OUTBOX_BACKLOG = 1000


class KioskStatus(StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"
    NEVER_SEEN = "never_seen"


def heartbeat_interval_s(site_config: dict[str, Any] | None) -> float:
    """The interval a site's kiosks beat at (their config's, else the contract's default)."""
    value = (site_config or {}).get("heartbeat_interval_s")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return KioskConfig.heartbeat_interval_s


def offline_after(site_config: dict[str, Any] | None, floor_s: float) -> timedelta:
    return timedelta(seconds=max(3 * heartbeat_interval_s(site_config), floor_s))


def problems_of(health: dict[str, Any] | None, outbox_depth: int) -> list[str]:
    """What makes an up kiosk degraded, as short codes the console translates."""
    health = health or {}
    found = [
        f"device:{d.get('kind')}:{d.get('state')}"
        for d in health.get("devices", [])
        if isinstance(d, dict) and d.get("state") in FAULTS
    ]
    ui = health.get("ui")
    if isinstance(ui, dict) and ui.get("state") == "down":
        found.append("ui_down")
    disk = health.get("disk_free_mb")
    if isinstance(disk, int | float) and disk < DISK_LOW_MB:
        found.append("disk_low")
    if outbox_depth >= OUTBOX_BACKLOG:
        found.append("outbox_backlog")
    return found


def condition_of(health: dict[str, Any] | None, outbox_depth: int) -> str:
    """What a heartbeat says of an up kiosk: "maintenance", "degraded" or "ok".

    Stored with each heartbeat (kiosks.condition), so listing 10,000 kiosks needs no
    health document parsed; only the time decides the rest (offline, never seen).
    """
    ui = (health or {}).get("ui")
    if isinstance(ui, dict) and ui.get("state") == MAINTENANCE_SCREEN:
        return KioskStatus.MAINTENANCE.value
    if problems_of(health, outbox_depth):
        return KioskStatus.DEGRADED.value
    return "ok"


def status_of(
    last_seen: datetime | None, condition: str, now: datetime, silent_for: timedelta
) -> KioskStatus:
    if last_seen is None:
        return KioskStatus.NEVER_SEEN
    if now - last_seen > silent_for:
        return KioskStatus.OFFLINE
    if condition == KioskStatus.MAINTENANCE:
        return KioskStatus.MAINTENANCE
    if condition == KioskStatus.DEGRADED:
        return KioskStatus.DEGRADED
    return KioskStatus.ONLINE
