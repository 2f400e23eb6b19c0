"""The x86-64 disk image booted under QEMU (`./run image-test`; not in `./run test`: on
machines whose KVM cannot run OVMF a boot takes minutes under TCG).

What it proves today (issue 19 is open): UEFI firmware → systemd-boot → the kernel with
the read-only root → systemd with logind and the kiosk's units → the UI's login session
and cage starting in it, every step read from the serial console. cage on QEMU's
virtio-gpu does not get further yet, so the UI's first frame is not reached (README)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from devtools.qemu_kiosk import QemuKiosk

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.environ.get("PALVELUPISTE_IMAGE_TEST") != "1",
    reason="boots a VM for minutes: run with ./run image-test",
)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    out = tmp_path_factory.mktemp("disk")
    done = subprocess.run(
        ["bash", str(REPO / "images/disk.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "palvelupiste-x86-64.img"


def test_the_image_boots_to_the_kiosk_ui_starting(image, tmp_path):
    vm = QemuKiosk(image, tmp_path / "vm", tcg=True).start()
    try:
        logind = vm.wait_for("Started systemd-logind.service", 900)
        started = vm.wait_for("Starting kiosk-ui.service", 300)
        vm.wait_for("session opened for user kiosk", 300)
        log = vm.log()
        assert "Read-only file system" not in log  # the read-only root's writable places
        assert "Failed to start systemd-logind" not in log
        assert "Unable to open Wayland socket" not in log
        print(f"logind at {logind:.0f} s, the UI's unit at {started:.0f} s after power-on")
    finally:
        vm.stop()
