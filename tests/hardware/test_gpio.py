"""GPIO with gpiozero's MockFactory: no Raspberry Pi runs on a CI box, so mock pins are the
real component available here (DESIGN.md §4); each test gets a fresh factory."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.base import DeviceState
from hardware.gpio import KioskGpio

pytestmark = pytest.mark.slow


@pytest.fixture
def factory():
    pins = MockFactory()
    yield pins
    pins.reset()


def test_presence_wakes_and_tamper_alarms(factory):
    gpio = KioskGpio(pin_factory=factory)
    assert gpio.tampered  # pulled up, switch open: the door is open
    factory.pin(22).drive_low()  # tamper switch closed: the door is shut
    woken, alarms = [], []
    gpio.when_presence = lambda: woken.append(True)
    gpio.when_tamper = lambda: alarms.append(True)
    assert gpio.state == DeviceState.ONLINE and not gpio.someone_there
    factory.pin(17).drive_high()
    assert woken == [True] and gpio.someone_there
    factory.pin(22).drive_high()  # door opened
    assert alarms == [True] and gpio.tampered
    assert gpio.state == DeviceState.NEEDS_ATTENTION and gpio.status["tampered"] is True
    factory.pin(22).drive_low()
    assert gpio.state == DeviceState.ONLINE
    gpio.close()


def test_led_patterns(factory):
    gpio = KioskGpio(pin_factory=factory)
    factory.pin(22).drive_low()
    gpio.show("idle")
    assert factory.pin(27).state is True
    gpio.show("off")
    assert factory.pin(27).state is False
    gpio.show("fault")
    assert gpio.status["led"] == "fault"
    with pytest.raises(ValueError):
        gpio.show("disco")
    assert gpio.self_test().passed
    gpio.close()


def test_no_gpio_is_not_present_not_an_error():
    from gpiozero.pins.mock import MockFactory

    class NoPins(MockFactory):
        def pin(self, spec, **kw):
            from gpiozero import PinUnknownPi

            raise PinUnknownPi("this board has no GPIO header")

    gpio = KioskGpio(pin_factory=NoPins())
    assert gpio.state == DeviceState.OFFLINE and not gpio.present
    assert "GPIO" in gpio.status["reason"]
    gpio.show("busy")  # does nothing, raises nothing
    report = gpio.self_test()
    assert not report.passed and report.checks[0]["name"] == "present"
