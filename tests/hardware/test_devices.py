"""Building the kiosk's devices from configuration, simulated end to end."""

from __future__ import annotations

import pytest

from devtools.waiting import wait_for
from hardware.base import DeviceState
from hardware.devices import InvalidDeviceSpec, build

pytestmark = pytest.mark.slow


def test_simulated_kiosk_devices_work_through_the_real_drivers(tmp_path):
    devices = build(
        {"printer": "sim", "scanner": "sim", "camera": "sim", "gpio": "sim", "card_reader": "sim"}
    )
    try:
        assert devices.missing == ["card_reader"]
        printer = devices.all["printer"]
        printer.print_receipt(["Vuoronumero 7"])
        assert b"Vuoronumero 7" in bytes(devices.simulations["printer"].printed)
        devices.simulations["printer"].mode = "out"
        assert printer.self_test().passed is False

        camera = devices.all["camera"]
        seen = []
        camera.when_qr_decoded = seen.append
        camera.start()
        devices.simulations["camera"].show_qr("QRST-2345")
        assert wait_for(lambda: seen)
        assert seen == ["QRST-2345"]
        assert devices.all["gpio"].state in (DeviceState.ONLINE, DeviceState.NEEDS_ATTENTION)
        assert {d.as_health()["kind"] for d in devices.all.values()} == {
            "printer",
            "scanner",
            "camera",
            "gpio",
        }
    finally:
        devices.close()


def test_bad_spec_is_a_clear_error():
    with pytest.raises(InvalidDeviceSpec, match="serial:PORT"):
        build({"printer": "parallel:lpt1"})


def test_the_simulated_camera_still_starts_after_the_kiosks_startup_probe():
    """The device hub probes every camera at start (is it there?), which releases what it
    opened; the demo's simulated camera was then closed for good and "not available"
    everywhere (issue 33). Probing, then starting, then probing again while it streams."""
    devices = build({"camera": "sim"})
    camera = devices.all["camera"]
    try:
        assert camera.probe() == DeviceState.ONLINE
        camera.start()
        assert wait_for(lambda: camera.latest_frame is not None, 5)
        assert camera.probe() == DeviceState.ONLINE and camera.state == DeviceState.ONLINE
        camera.stop()
        assert camera.probe() == DeviceState.ONLINE  # and again, after a call
        camera.start()
        assert wait_for(lambda: camera.latest_frame is not None, 5)
    finally:
        devices.close()
