"""Hotplug scenarios, each run in its own process under umockdev-wrapper by
test_hotplug.py; a failed assertion exits non-zero with its traceback."""

from __future__ import annotations

import sys

from devtools.waiting import wait_for
from hardware.base import DeviceState
from hardware.camera.capture import Camera
from hardware.hotplug import HotplugWatch, match_for_node
from hardware.printer.receipt import ReceiptPrinter, SerialTransport
from hardware.sim.camera import SimCapture
from hardware.sim.escpos_printer import PtyPrinter
from tests.support.umockdev_testbed import Testbed


def printer_unplugged_and_back() -> None:
    testbed = Testbed()
    sim = PtyPrinter()
    printer = ReceiptPrinter("receipt", lambda: SerialTransport(sim.port))
    props = {"DEVNAME": "/dev/ttyUSB0", "ID_VENDOR_ID": "04b8"}
    path = testbed.add("tty", "ttyUSB0", props)
    printer.refresh_status()
    assert printer.state == DeviceState.ONLINE
    watch = HotplugWatch()
    watch.follow(printer, match_for_node("tty", "/dev/ttyUSB0"))
    watch.start()
    assert printer.state == DeviceState.ONLINE  # present at start: left alone
    testbed.unplug(path)
    assert wait_for(lambda: printer.state == DeviceState.OFFLINE, 5)
    assert printer.status["reason"] == "unplugged"
    testbed.plug("tty", "ttyUSB0", props)
    # Back: the driver asks the printer itself, over a fresh link.
    assert wait_for(lambda: printer.state == DeviceState.ONLINE, 5)
    assert printer.status["paper"] == "ok"
    watch.stop()
    sim.stop()


def camera_pulled_is_offline_although_frames_keep_coming() -> None:
    testbed = Testbed()
    capture = SimCapture()  # keeps producing frames, like OpenCV after an unplug
    camera = Camera("front", "sim", open_camera=lambda _s: capture, frame_interval_s=0.05)
    path = testbed.add("video4linux", "video0", {"DEVNAME": "/dev/video0"})
    watch = HotplugWatch()
    watch.follow(camera, match_for_node("video4linux", "/dev/video0"))
    watch.start()
    camera.start()
    assert wait_for(lambda: camera.latest_frame is not None and camera.state == DeviceState.ONLINE)
    testbed.unplug(path)
    assert wait_for(lambda: camera.state == DeviceState.OFFLINE, 5)
    assert not wait_for(lambda: camera.state == DeviceState.ONLINE, 1.0)  # frames do not fool it
    assert camera.latest_frame is None
    testbed.plug("video4linux", "video0", {"DEVNAME": "/dev/video0"})
    assert wait_for(lambda: camera.state == DeviceState.ONLINE, 5)
    camera.stop()
    watch.stop()


def absent_at_start_is_offline_and_others_untouched() -> None:
    testbed = Testbed()
    testbed.add("video4linux", "video1", {"DEVNAME": "/dev/video1"})
    wanted, other = SimCapture(), SimCapture()
    missing = Camera("wanted", "sim", open_camera=lambda _s: wanted)
    present = Camera("other", "sim", open_camera=lambda _s: other)
    present.plugged_in()
    missing.plugged_in()
    watch = HotplugWatch()
    watch.follow(missing, match_for_node("video4linux", "/dev/video0"))
    watch.follow(present, match_for_node("video4linux", "/dev/video1"))
    watch.start()
    assert missing.state == DeviceState.OFFLINE and present.state == DeviceState.ONLINE
    watch.stop()


def a_failed_monitor_is_replaced() -> None:
    testbed = Testbed()
    camera = Camera("front", "sim", open_camera=lambda _s: SimCapture())
    path = testbed.add("video4linux", "video0", {"DEVNAME": "/dev/video0"})
    camera.plugged_in()
    watch = HotplugWatch(poll_s=0.1)
    watch.follow(camera, match_for_node("video4linux", "/dev/video0"))
    watch.start()
    # POLLERR cannot be provoked from outside without corrupting libudev's own file
    # descriptor bookkeeping (closing the socket makes libudev abort), so the failing
    # monitor's poll() is replaced by one that fails the way pyudev's does then.
    broken = watch.current_monitor

    def poll_error(timeout: float | None = None) -> None:
        raise OSError("[Errno 104] POLLERR on the udev monitor socket")

    broken.poll = poll_error
    assert wait_for(lambda: watch.monitors_made >= 2, 10)
    assert watch.current_monitor is not broken
    testbed.unplug(path)
    assert wait_for(lambda: camera.state == DeviceState.OFFLINE, 5)
    watch.stop()


def devices_from_config_follow_their_nodes() -> None:
    from hardware.devices import build

    testbed = Testbed()
    sim = PtyPrinter()
    path = testbed.add("tty", "ttyUSB7", {"DEVNAME": sim.port})
    devices = build({"printer": f"serial:{sim.port}"})
    assert [(d.kind, m.properties) for d, m in devices.hotplug] == [
        ("printer", {"DEVNAME": sim.port})
    ]
    assert devices.watch_hotplug()
    printer = devices.all["printer"]
    testbed.unplug(path)
    assert wait_for(lambda: printer.state == DeviceState.OFFLINE, 5)
    devices.close()
    sim.stop()


if __name__ == "__main__":
    globals()[sys.argv[1]]()
    print("ok")
