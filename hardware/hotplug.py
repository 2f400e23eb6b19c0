"""Devices coming and going, from the kernel's uevents through pyudev.

One thread listens for everyone and fans out (like Home Assistant's
DataUpdateCoordinator): each followed device has a `Match` on udev
properties; a matching "remove" calls `device.unplugged()`, an "add" calls
`device.plugged_in()`.

pyudev's MonitorObserver thread dies for good on POLLERR, so this runs its
own loop and makes a new monitor (with backoff) when the old one fails.
Where no udevd runs (containers, some CI boxes), the kernel's events never
reach userspace listeners: devices then keep the state their drivers report.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from hardware.base import Device, DeviceState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    """Which udev devices are this device: a subsystem and properties that must be equal."""

    subsystem: str
    properties: dict[str, str] = field(default_factory=dict)

    def matches(self, udev_device: Any) -> bool:
        if udev_device.subsystem != self.subsystem:
            return False
        props = udev_device.properties
        return all(props.get(key) == value for key, value in self.properties.items())


def match_for_node(subsystem: str, node: str) -> Match:
    """The udev device behind a device node such as /dev/ttyUSB0 or /dev/video0."""
    return Match(subsystem, {"DEVNAME": node})


class HotplugWatch:
    def __init__(self, context: Any = None, poll_s: float = 0.5) -> None:
        import pyudev

        self._pyudev = pyudev
        self.context = context or pyudev.Context()
        self.poll_s = poll_s
        self.followed: list[tuple[Device, Match]] = []
        self.monitors_made = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.current_monitor: Any = None

    def follow(self, device: Device, match: Match) -> None:
        self.followed.append((device, match))

    def start(self) -> None:
        """Listen first, then look at what is there now: nothing falls between the two."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hotplug", daemon=True)
        self._thread.start()
        self._ready.wait(5)
        self._scan()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    def _scan(self) -> None:
        subsystems = {match.subsystem for _device, match in self.followed}
        present = [
            d for subsystem in subsystems for d in self.context.list_devices(subsystem=subsystem)
        ]
        for device, match in self.followed:
            if not any(match.matches(d) for d in present) and device.state != DeviceState.OFFLINE:
                device.unplugged()

    def _monitor(self) -> Any:
        monitor = self._pyudev.Monitor.from_netlink(self.context)
        for subsystem in sorted({match.subsystem for _device, match in self.followed}):
            monitor.filter_by(subsystem)
        monitor.start()
        self.monitors_made += 1
        return monitor

    def _run(self) -> None:
        wait = 0.2
        while not self._stop.is_set():
            try:
                monitor = self._monitor()
                self.current_monitor = monitor
                self._ready.set()
                while not self._stop.is_set():
                    udev_device = monitor.poll(timeout=self.poll_s)
                    if udev_device is not None:
                        self._dispatch(udev_device)
                wait = 0.2
            except (OSError, ValueError, self._pyudev.DeviceNotFoundError) as exc:
                log.warning("udev monitor failed (%s); making a new one in %.1f s", exc, wait)
                self._stop.wait(wait)
                wait = min(wait * 2, 10.0)

    def _dispatch(self, udev_device: Any) -> None:
        for device, match in self.followed:
            if not match.matches(udev_device):
                continue
            try:
                if udev_device.action == "remove":
                    device.unplugged()
                elif udev_device.action == "add":
                    device.plugged_in()
            except Exception as exc:  # noqa: BLE001 - one driver's trouble must not stop the rest
                log.warning("%s/%s on %s: %s", device.kind, device.name, udev_device.action, exc)
