"""The kiosk's devices, built from the `devices` section of its configuration.

Each entry is a short spec string, so a site admin can switch a kiosk
between simulated and real hardware from central:

    printer:  sim | serial:/dev/ttyUSB0[:19200] | tcp:HOST[:9100]
    a4_printer: cups:QUEUE[@SERVER]   (documents an official shows in a call)
    scanner:  sim[:jam|:cover|:empty] | sane:DEVICE   (sim is SANE's own test backend,
              which can report a paper jam, an open cover or an empty feeder)
    camera:   sim | v4l2:INDEX | file:PATH | video:PATH (looped at 30 frames/s)
    gpio:     sim | pi | none
    card_reader: pcsc[:READER-NAME-PART]   (no simulation without pcscd + vpcd)
    payment_terminal: nexo:HOST:PORT[:POIID]   (an unattended card terminal; the
              stand-in devtools/nexo_terminal.py for tests and the demo)
Kinds or specs without a driver are listed in `missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardware.base import Device
from hardware.hotplug import Match, match_for_node

# Drivers are imported when a device of their kind is configured: OpenCV, pyscard and
# gpiozero cost start-up time (and memory) on a kiosk that has no such device.

SUPPORTED = ("printer", "a4_printer", "scanner", "camera", "gpio", "payment_terminal")


class InvalidDeviceSpec(ValueError):
    pass


@dataclass
class Devices:
    all: dict[str, Device] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    simulations: dict[str, Any] = field(default_factory=dict)
    # Devices whose comings and goings udev can tell (hardware/hotplug.py follows them).
    hotplug: list[tuple[Device, Match]] = field(default_factory=list)
    watch: Any = None

    def watch_hotplug(self) -> bool:
        """Start following hotplug events for the devices that have a udev identity."""
        if not self.hotplug:
            return False
        from hardware.hotplug import HotplugWatch

        self.watch = HotplugWatch()
        for device, match in self.hotplug:
            self.watch.follow(device, match)
        self.watch.start()
        return True

    def close(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        for device in self.all.values():
            for method in ("stop", "close"):
                if hasattr(device, method):
                    getattr(device, method)()
        for sim in self.simulations.values():
            if hasattr(sim, "stop"):
                sim.stop()


def _printer(spec: str, devices: Devices) -> Device:
    from hardware.printer.receipt import ReceiptPrinter, SerialTransport, TcpTransport
    from hardware.sim.escpos_printer import PtyPrinter

    kind, _, rest = spec.partition(":")
    if kind == "sim":
        sim = PtyPrinter()
        devices.simulations["printer"] = sim
        return ReceiptPrinter("receipt", lambda: SerialTransport(sim.port))
    if kind == "serial" and rest:
        port, _, baud = rest.partition(":")
        printer = ReceiptPrinter("receipt", lambda: SerialTransport(port, int(baud or 19200)))
        devices.hotplug.append((printer, match_for_node("tty", port)))
        return printer
    if kind == "tcp" and rest:
        host, _, port_text = rest.partition(":")
        return ReceiptPrinter("receipt", lambda: TcpTransport(host, int(port_text or 9100)))
    raise InvalidDeviceSpec(
        f"printer spec {spec!r}: use sim, serial:PORT[:BAUD] or tcp:HOST[:PORT]"
    )


def _a4_printer(spec: str) -> Device:
    from hardware.printer.cups import CupsPrinter

    kind, _, rest = spec.partition(":")
    if kind == "cups" and rest:
        queue, _, server = rest.partition("@")
        return CupsPrinter("a4", queue, server or None)
    raise InvalidDeviceSpec(f"a4_printer spec {spec!r}: use cups:QUEUE[@SERVER]")


SCANNER_FAULTS = {
    "": None,
    "jam": "SANE_STATUS_JAMMED",
    "cover": "SANE_STATUS_COVER_OPEN",
    "empty": "SANE_STATUS_NO_DOCS",
}


def _scanner(spec: str) -> Device:
    from hardware.scanner.sane import SaneScanner

    kind, _, rest = spec.partition(":")
    if kind == "sim" and rest in SCANNER_FAULTS:
        # SANE's test backend itself reports the fault, through the real driver path.
        status = SCANNER_FAULTS[rest]
        # A fault on a small area: the test backend can deadlock cancelling a large page.
        extra = (
            ("--read-return-value", status, "-x", "20", "-y", "20")
            if status
            else ("--test-picture", "Color pattern")
        )
        return SaneScanner("a4", "test:0", extra_args=extra)
    if kind == "sane" and rest:
        return SaneScanner("a4", rest)
    raise InvalidDeviceSpec(
        f"scanner spec {spec!r}: use sim, sim:jam, sim:cover, sim:empty or sane:DEVICE"
    )


def _camera(spec: str, devices: Devices) -> Device:
    from hardware.camera.capture import Camera
    from hardware.sim.camera import SimCapture

    kind, _, rest = spec.partition(":")
    if kind == "sim":
        capture = SimCapture()
        devices.simulations["camera"] = capture
        return Camera(
            "front", "sim", open_camera=lambda _source: capture.reopened(), frame_interval_s=0.1
        )
    if kind == "v4l2" and rest.isdigit():
        camera = Camera("front", int(rest))
        devices.hotplug.append((camera, match_for_node("video4linux", f"/dev/video{rest}")))
        return camera
    if kind == "file" and rest:
        return Camera("front", rest, frame_interval_s=0.1)  # a file plays at 10 frames/s
    if kind == "video" and rest:
        # A video file played over and over at 30 frames/s: a camera for calls in tests.
        return Camera("front", rest, frame_interval_s=1 / 30, loop=True)
    raise InvalidDeviceSpec(f"camera spec {spec!r}: use sim, v4l2:INDEX, file:PATH or video:PATH")


def _gpio(spec: str, devices: Devices) -> Device | None:
    from hardware.gpio import KioskGpio

    if spec == "none":
        return None
    if spec == "sim":
        from gpiozero.pins.mock import MockFactory

        factory = MockFactory()
        gpio = KioskGpio(pin_factory=factory)
        factory.pin(22).drive_low()  # the simulated enclosure's door is shut
        devices.simulations["gpio"] = factory  # drive pin 17 high: someone walks up
        return gpio
    if spec == "pi":
        return KioskGpio()
    raise InvalidDeviceSpec(f"gpio spec {spec!r}: use sim, pi or none")


def _payment_terminal(spec: str) -> Device:
    import socket

    from hardware.terminal.nexo import NexoTerminal

    kind, _, rest = spec.partition(":")
    host, _, rest = rest.partition(":")
    port, _, poi_id = rest.partition(":")
    if kind != "nexo" or not host or not port.isdigit():
        raise InvalidDeviceSpec(f"payment_terminal spec {spec!r}: use nexo:HOST:PORT[:POIID]")
    # SaleID: this box (the same through a login session, as nexo asks).
    return NexoTerminal("terminal", host, int(port), poi_id or "POI", socket.gethostname()[:20])


def build(config: dict[str, str]) -> Devices:
    """Devices for a `devices` config section; a bad spec raises InvalidDeviceSpec."""
    devices = Devices()
    try:
        for kind, spec in config.items():
            if kind == "printer":
                devices.all[kind] = _printer(spec, devices)
            elif kind == "a4_printer":
                devices.all[kind] = _a4_printer(spec)
            elif kind == "scanner":
                devices.all[kind] = _scanner(spec)
            elif kind == "camera":
                devices.all[kind] = _camera(spec, devices)
            elif kind == "card_reader" and spec.startswith("pcsc"):
                from hardware.cardreader.pcsc import CardReader

                reader = CardReader(reader_filter=spec.partition(":")[2])
                reader.start()
                devices.all[kind] = reader
            elif kind == "payment_terminal":
                devices.all[kind] = _payment_terminal(spec)
            elif kind == "gpio":
                gpio = _gpio(spec, devices)
                if gpio is not None:
                    devices.all[kind] = gpio
            else:
                devices.missing.append(kind)
    except InvalidDeviceSpec:
        devices.close()
        raise
    return devices
