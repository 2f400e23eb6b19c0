"""The kiosk's devices in one place, without any UI: open, watch, poll, report.

Built from the `devices` section of the config (nothing configured: no
devices). Every state change is saved to state.db (kiosk/device_status.py),
where heartbeats pick it up; a new fault also asks the agent to send a
heartbeat at once and records a `device_fault` usage event. Like Home
Assistant's DataUpdateCoordinator, this is the one place that polls the
devices that do not report by themselves, and fans their states out.

Callbacks come from driver threads; whoever needs them on a UI loop
(kiosk/ui/app.py) moves them there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from contract.device_states import FAULTS, DeviceState
from hardware import devices as device_specs
from hardware.base import Device
from kiosk import device_status
from kiosk.store import StateStore

log = logging.getLogger("kiosk.devices")
POLL_S = 60


class DeviceHub:
    def __init__(
        self,
        store: StateStore,
        record: Callable[..., object],
        when_presence: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        # Usage events: record(type, session_id, **data).
        self.record = record
        self.when_presence = when_presence
        self.devices = device_specs.Devices()

    def open(self, specs: dict[str, str]) -> None:
        """Build the configured devices, follow their states, and look at each once."""
        try:
            self.devices = device_specs.build(dict(specs))
        except device_specs.InvalidDeviceSpec as exc:
            log.error("device configuration refused: %s", exc)
            self.devices = device_specs.Devices()
        for device in self.devices.all.values():
            device.when_status_changed = self._changed
            self._save(device)
        gpio = self.devices.all.get("gpio")
        if gpio is not None and self.when_presence is not None:
            gpio.when_presence = self.when_presence  # type: ignore[attr-defined]
        for kind in self.devices.missing:
            log.warning("no driver for configured device %s", kind)
        try:
            self.devices.watch_hotplug()
        except (ImportError, OSError) as exc:
            log.warning("no hotplug events (%s): devices keep the state their drivers report", exc)
        self.check(everything=True)

    def device(self, kind: str) -> Any:
        return self.devices.all.get(kind)

    def check(self, everything: bool = False) -> threading.Thread:
        """Ask devices that do not report by themselves (printers) how they are, in a
        thread; with `everything`, also see whether the camera is there, so central sees
        its real state rather than "offline" for a camera nobody has used yet."""
        devices = list(self.devices.all.values())

        def work() -> None:
            for device in devices:
                try:
                    if hasattr(device, "refresh_status"):
                        device.refresh_status()
                    elif everything and hasattr(device, "probe"):
                        device.probe()
                except Exception as exc:  # noqa: BLE001 - a check must never stop the kiosk
                    log.warning("checking %s/%s failed: %s", device.kind, device.name, exc)

        thread = threading.Thread(target=work, name="device-check", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.devices.close()

    def _changed(self, device: Device) -> None:
        """From driver threads: persist now; a new fault goes to central at once."""
        was = self._save(device)
        name = f"{device.kind}/{device.name}"
        if device.state in FAULTS and was not in FAULTS:
            device_status.request_report(self.store)  # the fault screen says staff know
            self.record("device_fault", None, device=name, state=device.state.value)
        elif device.state == DeviceState.ONLINE and was in FAULTS:
            self.record("device_recovered", None, device=name)

    def _save(self, device: Device) -> DeviceState | None:
        was = device_status.save(
            self.store, device.kind, device.name, device.state.value, device.status
        )
        return DeviceState(was) if was else None
