"""GPIO of the kiosk enclosure through gpiozero: presence sensor, status LED, tamper switch.

On a board without GPIO (an x86 mini PC) gpiozero cannot find a pin
factory or raises PinUnknownPi; that is "not present" (state offline with
a reason), never an error that stops the kiosk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero import LED, Button, DigitalInputDevice, GPIOZeroError
from gpiozero.pins import Factory

from hardware.base import Device, DeviceState, SelfTestReport

PATTERNS = {
    "off": None,
    "idle": "on",
    "busy": (0.5, 0.5),
    "fault": (0.1, 0.1),
}


class KioskGpio(Device):
    kind = "gpio"

    def __init__(
        self,
        presence_pin: int | str = 17,
        led_pin: int | str = 27,
        tamper_pin: int | str = 22,
        pin_factory: Factory | None = None,
        name: str = "enclosure",
    ) -> None:
        super().__init__(name)
        self.when_presence: Callable[[], None] | None = None
        self.when_tamper: Callable[[], None] | None = None
        self._parts: list[Any] = []
        try:
            self._presence = DigitalInputDevice(
                presence_pin, pull_up=False, pin_factory=pin_factory
            )
            self._led = LED(led_pin, pin_factory=pin_factory)
            # Tamper switch: closed (pressed) while the door is shut.
            self._tamper = Button(tamper_pin, pull_up=True, pin_factory=pin_factory)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            self.close()
            self._update(DeviceState.OFFLINE, present=False, reason=str(exc) or type(exc).__name__)
            return
        self._parts = [self._presence, self._led, self._tamper]
        self._presence.when_activated = self._on_presence
        self._tamper.when_released = self._on_tamper
        self._tamper.when_pressed = self._refresh
        self._refresh()

    @property
    def present(self) -> bool:
        return bool(self._parts)

    @property
    def someone_there(self) -> bool:
        return self.present and bool(self._presence.is_active)

    @property
    def tampered(self) -> bool:
        return self.present and not self._tamper.is_pressed

    def _refresh(self) -> None:
        state = DeviceState.NEEDS_ATTENTION if self.tampered else DeviceState.ONLINE
        self._update(state, present=True, tampered=self.tampered)

    def _on_presence(self) -> None:
        if self.when_presence:
            self.when_presence()

    def _on_tamper(self) -> None:
        self._refresh()
        if self.when_tamper:
            self.when_tamper()

    def show(self, pattern: str) -> None:
        """Status LED: off, idle (steady), busy (slow blink), fault (fast blink)."""
        if pattern not in PATTERNS:
            raise ValueError(f"unknown LED pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
        if not self.present:
            return
        spec = PATTERNS[pattern]
        if spec is None:
            self._led.off()
        elif spec == "on":
            self._led.on()
        else:
            self._led.blink(on_time=spec[0], off_time=spec[1])
        self._status["led"] = pattern

    def self_test(self) -> SelfTestReport:
        report = SelfTestReport(self.kind, self.name, passed=True)
        report.check("present", self.present, self._status.get("reason", ""))
        if self.present:
            report.check("enclosure closed", not self.tampered)
            self.show("busy")
            report.check("LED drives", self._led.is_lit or self._led.value is not None)
            self.show("idle")
        return report

    def close(self) -> None:
        for part in self._parts:
            part.close()
        self._parts = []
