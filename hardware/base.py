"""The device model every driver shares, after XFS4IoT's states and typed errors, kept small.

A device is one object with plain properties (`state`, `status`) and a
`when_status_changed` callback, like a gpiozero device. Operations raise
typed errors instead of hanging or returning codes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract.device_states import DeviceState

__all__ = ["DeviceState"]  # the states are the contract's: contract/device_states.py


class DeviceError(Exception):
    """Base of every device failure; `message` is fit to show a technician."""


class DeviceOffline(DeviceError):
    pass


class DeviceTimeout(DeviceError):
    pass


class OutOfPaper(DeviceError):
    pass


class CoverOpen(DeviceError):
    pass


class MediaJam(DeviceError):
    pass


class FeederEmpty(DeviceError):
    """The document feeder has no paper in it: the citizen should insert the pages."""


class HardwareFault(DeviceError):
    pass


@dataclass
class SelfTestReport:
    kind: str
    name: str
    passed: bool
    checks: list[dict[str, Any]] = field(default_factory=list)

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append({"name": name, "passed": passed, "detail": detail})
        self.passed = self.passed and passed


class Device:
    kind = "device"

    def __init__(self, name: str) -> None:
        self.name = name
        self._state = DeviceState.OFFLINE
        self._status: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.when_status_changed: Callable[[Device], None] | None = None

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def status(self) -> dict[str, Any]:
        return dict(self._status)

    def _update(self, state: DeviceState, **status: Any) -> None:
        changed = state != self._state or any(self._status.get(k) != v for k, v in status.items())
        self._state = state
        self._status.update(status)
        if changed and self.when_status_changed is not None:
            self.when_status_changed(self)

    # --- hotplug (hardware/hotplug.py calls these from its thread) -------------------

    def unplugged(self) -> None:
        """The kernel saw the device go: offline at once, whatever the driver last knew
        (a camera keeps "delivering" its last frame after it is pulled)."""
        self._update(DeviceState.OFFLINE, reason="unplugged")

    def plugged_in(self) -> None:
        """It is back. Drivers that can ask the device how it is do so instead."""
        self._update(DeviceState.ONLINE, reason="")

    def self_test(self) -> SelfTestReport:
        """Drivers extend this; the default only reports whether the device is present."""
        report = SelfTestReport(self.kind, self.name, passed=True)
        report.check("present", self.state != DeviceState.OFFLINE, self.state.value)
        return report

    def as_health(self) -> dict[str, Any]:
        """The shape heartbeats carry: {kind, name, state, detail}."""
        return {
            "kind": self.kind,
            "name": self.name,
            "state": self.state.value,
            "detail": self.status,
        }
