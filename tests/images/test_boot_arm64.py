"""The arm64 (Raspberry Pi 4, 400, CM4 and 5) disk image booted on QEMU's `virt` machine
with a Pi 4's CPU, in emulation (`./run image-test`; far too slow for `./run test`).

QEMU has no Pi board: the Pi's own firmware is skipped, and the kernel, initrd and
command line are the ones on the image's boot partition (config.txt, cmdline.txt), as a
Pi 5's firmware would hand them over (devtools/qemu_kiosk.py; the Pi 4 reads the same).
Everything from the kernel on is the image as a Pi runs it: Debian 13 with
trixie-backports' arm64 kernel and its initramfs, the read-only root
found by its label, first-boot repart, enrolment with a real central on the host (through
guestfwd only), the arm64 release (its wheels built on arm64), the heartbeat with the
box's settings, a self-test asked from central, and the attract screen drawn by cage and
the Kivy UI (QEMU's screendump read by OCR).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from devtools import disk_image
from devtools.qemu_kiosk import QemuKiosk
from devtools.waiting import wait_for
from tests.images.booted import (
    ATTRACT_WORDS,
    CENTRAL_IN_GUEST,
    FIRST_FRAME,
    SITE_ZONE_SHOWN,
    built_image,
    keep_to_look_at,
    kiosk_at_central,
    kiosk_disk,
    run_command,
    words_on,
)

# Emulating a Cortex-A72 on an x86 CI machine: minutes where a Pi takes seconds. Limits
# on how long to look, never judged times.
MULTI_USER_S = 1200
AT_CENTRAL_S = 900
FIRST_FRAME_S = 1200
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("PALVELUPISTE_IMAGE_TEST") != "1",
        reason="boots an emulated arm64 VM for many minutes: run with ./run image-test",
    ),
]


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    return built_image(tmp_path_factory, "arm64", os.environ.get("PALVELUPISTE_ARM64_IMAGE"))


@pytest.fixture(scope="module")
def disk(image, central, tmp_path_factory) -> Path:
    return kiosk_disk(image, central, tmp_path_factory.mktemp("pi"), software_gl=True)


def test_the_pi_image_has_the_pis_boot_files(image, tmp_path):
    files = disk_image.boot_partition_files(image)
    # The Pi 4's firmware (raspi-firmware from Debian) and both boards' device trees.
    assert {"config.txt", "cmdline.txt", "start4.elf", "fixup4.dat"} <= set(files)
    assert {"bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb", "bcm2711-rpi-cm4-io.dtb"} <= set(files)
    assert "bcm2712-rpi-5-b.dtb" in files
    names = [p.name for p in disk_image.partitions(image)]
    assert names == ["kiosk-boot", "kiosk-root", "kiosk-state"]
    config = disk_image.read_boot_file(image, "config.txt", tmp_path / "config.txt").read_text()
    pi4, pi5 = (QemuKiosk.pi_config(config, board) for board in ("pi4", "pi5"))
    # Both boards boot trixie-backports' kernel (Debian 13's own 6.12 has no driver for the
    # Pi 5's SD card), the same file: an unpacked arm64 Image (with an EFI stub), the only
    # kind the Pi 5's firmware boots.
    assert pi4 == pi5
    assert re.fullmatch(r"vmlinuz-(\d+)\.\d+\.\d+\+deb13-arm64", pi4["kernel"]), pi4
    assert int(re.match(r"vmlinuz-(\d+)", pi4["kernel"]).group(1)) >= 7  # type: ignore[union-attr]
    assert pi4["upstream_kernel"] == "1"
    kernel = disk_image.read_boot_file(image, pi4["kernel"], tmp_path / "vmlinuz").read_bytes()
    assert kernel[56:60] == b"ARM\x64"  # the arm64 Image header's magic: not compressed
    # What the Pi 5 needs before its root is mounted: the SD card's and the RP1's drivers.
    initrd = disk_image.read_boot_file(image, pi4["initramfs"], tmp_path / "initrd.img")
    modules = {Path(name).name.split(".ko")[0] for name in disk_image.initramfs_names(initrd)}
    wanted = {"sdhci-brcmstb", "pinctrl-brcmstb-bcm2712", "irq-bcm2712-mip", "rp1_pci"}
    assert wanted | {"xhci-plat-hcd"} <= modules, wanted - modules
    cmdline = disk_image.read_boot_file(image, "cmdline.txt", tmp_path / "cmdline.txt")
    # The Pi 5's debug UART and the Pi 4's GPIO UART, the screen first.
    consoles = [o for o in cmdline.read_text().split() if o.startswith("console=")]
    assert consoles == ["console=tty1", "console=ttyAMA10,115200", "console=ttyS1,115200"]


def test_the_pi_image_carries_the_pis_boot_files_once(image):
    """The root's /boot/firmware is only where the boot partition is mounted: empty in
    the root's file system; and the kernel's device trees there are the Pi's alone."""
    assert disk_image.list_directory(image, "kiosk-root", "/boot/firmware") == []
    (version,) = disk_image.list_directory(image, "kiosk-root", "/usr/lib/modules")
    dtb = f"/usr/lib/modules/{version}/dtb"
    # dpkg keeps the other families' folders, empty.
    trees = disk_image.files_under(image, "kiosk-root", dtb)
    assert trees and all(path.startswith(f"{dtb}/broadcom/") for path in trees), trees[:5]
    names = {path.rsplit("/", 1)[1] for path in trees}
    assert {"bcm2712-rpi-5-b.dtb", "bcm2711-rpi-4-b.dtb"} <= names
    with pytest.raises(FileNotFoundError):
        disk_image.list_directory(image, "kiosk-root", "/usr/lib/no-such-folder")


def test_the_pi_image_boots_enrols_and_beats(disk, central, tmp_path):
    server, _ = central
    port = int(server.base.rsplit(":", 1)[1])
    vm = QemuKiosk(
        disk, tmp_path / "vm", forward={CENTRAL_IN_GUEST: port}, arch="arm64", pi_board="pi5"
    )
    vm.start()
    try:
        multi_user = vm.wait_for("Reached target multi-user.target", MULTI_USER_S)
        log = vm.log()
        assert "Machine model: linux,dummy-virt" in log or "aarch64" in log or "arm64" in log
        kiosk = kiosk_at_central(
            central,
            lambda k: (k.get("health") or {}).get("system") is not None,
            AT_CENTRAL_S,
        )
        log = vm.log()
        assert "enrolled as kiosk" in log, log[-3000:]
        assert "Read-only file system" not in log and "kiosk login:" not in log
        assert "Failed to start" not in log  # no unit failed on the read-only root
        system = kiosk["health"]["system"]
        assert system["root_read_only"] is True
        assert {"rw", "nosuid", "nodev", "noexec"} <= set(system["state_mount"])
        assert system["ssh"] == "off"
        assert system["console_logins"] is False
        assert kiosk["health"]["disk_free_mb"] > 2048  # the state partition grew
        # The box took its site's zone (Lisbon's, not the image's Helsinki): what a program
        # started in it now says its local time is (booted.BOX_ZONE_UNIT).
        assert wait_for(lambda: any(z in vm.log() for z in SITE_ZONE_SHOWN), AT_CENTRAL_S), [
            line for line in vm.log().splitlines() if "box zone:" in line
        ][-3:]
        # The arm64 release runs: the technician's self-test, asked from central.
        tested = run_command(central, kiosk["id"], "self_test", AT_CENTRAL_S)
        assert re.search(r"devices passed|failed:", tested.get("detail") or ""), tested
        # And on to the attract screen: cage and the Kivy UI on arm64 (software GL).
        first_frame = vm.wait_for(FIRST_FRAME, FIRST_FRAME_S)
        screen = vm.screendump(tmp_path / "attract-on-arm64.png")
        keep_to_look_at(screen)
        text = words_on(screen)
        assert any(word in text for word in ATTRACT_WORDS), text
        print(
            f"arm64 (emulated): multi-user target {multi_user:.0f} s, "
            f"attract screen {first_frame:.0f} s after power-on"
        )
        vm.power_button(300)
    finally:
        vm.stop()
    names = [p.name for p in disk_image.partitions(disk)]
    assert names == ["kiosk-boot", "kiosk-root", "kiosk-state", "kiosk-releases"]
    assert "palvelupiste-enrol.done" in disk_image.boot_partition_files(disk)
    assert disk_image.check_file_system(disk, "kiosk-state").returncode == 0
