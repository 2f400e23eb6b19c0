"""A kiosk disk image booted under QEMU (KVM when /dev/kvm is there, else TCG): UEFI from
Debian's OVMF, a virtio GPU, the serial console in a file, QMP for screendumps and for
pulling the plug. For the boot tests and the boot-time benchmark.

The arm64 (Raspberry Pi) image boots on QEMU's `virt` machine with a Pi 4's CPU
(Cortex-A72), in emulation: QEMU has no Pi board, so the Pi's firmware is skipped and
the kernel, initrd and command line are taken from the image's own boot partition
(config.txt and cmdline.txt, as the firmware of the board named by `pi_board`, "pi4" or
"pi5", reads them: the Pi 5's section names the unpacked kernel).

Networking is QEMU's user mode, restricted: the guest reaches nothing but the ports
forwarded to the host's loopback (`forward={"10.0.2.100:8000": 8000}`), and the host
reaches only the guest ports in `host_forward` ({host port on 127.0.0.1: guest port}).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from devtools import disk_image

OVMF = Path("/usr/share/ovmf/OVMF.fd")  # Debian's ovmf


def kvm_available() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def kvm_runs_firmware(watch_s: float = 8) -> bool:
    """Whether KVM here can run OVMF at all: on some nested hosts /dev/kvm is there but
    the guest stops at the firmware's first FPU instruction, QEMU printing "KVM internal
    error" and pausing. Tried with no disk for a few seconds."""
    if not kvm_available() or not OVMF.exists():
        return False
    with tempfile.TemporaryFile() as errors:
        probe = subprocess.Popen(
            ["qemu-system-x86_64", "-machine", "q35,accel=kvm", "-cpu", "host,-arch-capabilities",
             "-m", "512", "-bios", str(OVMF), "-display", "none", "-nic", "none"],
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        try:
            probe.wait(timeout=watch_s)
            return False  # it could not even start
        except subprocess.TimeoutExpired:
            errors.seek(0)
            return b"KVM internal error" not in errors.read()
        finally:
            probe.kill()
            probe.wait()


# A guest kernel that panicked never recovers: say so at once. Seen under TCG, 3 s into a
# boot: an int3 Oops while the kernel patched its own code (QEMU's cross-modifying-code
# emulation), before any of the image's software ran.
KERNEL_PANIC = "Kernel panic - not syncing"
# The image's journal goes to the serial console; PID 1's first line there.
OS_STARTED = "systemd[1]:"


class GuestPanicked(AssertionError):
    """The guest's kernel panicked: nothing more will come on its console."""


class QemuKiosk:
    def __init__(
        self,
        image: Path,
        workdir: Path,
        forward: dict[str, int] | None = None,
        memory_mb: int = 2048,
        tcg: bool | None = None,
        arch: str = "x86-64",
        host_forward: dict[int, int] | None = None,
        pi_board: str = "pi4",
    ) -> None:
        self.image = image
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.serial = workdir / "serial.log"
        self.qmp_path = workdir / "qmp.sock"
        # KVM where it works; tcg=True where /dev/kvm is there but cannot run the firmware
        # (nested KVM on these CI machines: "KVM internal error" at OVMF's FPU setup).
        # None: KVM if it can run the firmware here.
        self.kvm = arch == "x86-64" and (kvm_runs_firmware() if tcg is None else not tcg)
        netdev = "user,id=net0,restrict=on"
        forwarder = Path(__file__).with_name("guest_forward.py")
        for guest, port in (forward or {}).items():
            # A command per connection (a tcp: chardev would carry only the first one).
            netdev += f",guestfwd=tcp:{guest}-cmd:{sys.executable} {forwarder} 127.0.0.1 {port}"
        for host_port, guest_port in (host_forward or {}).items():
            netdev += f",hostfwd=tcp:127.0.0.1:{host_port}-:{guest_port}"
        common = [
            "-smp", "2",
            "-m", str(memory_mb),
            "-drive", f"file={image},format=raw,if=virtio,cache=unsafe",
            "-display", "none",
            "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=net0",
            "-serial", f"file:{self.serial}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-no-reboot",
        ]  # fmt: skip
        if arch == "arm64":
            self.args = [
                "qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72",
                *self._pi_boot(image, workdir, pi_board), "-device", "virtio-gpu-pci", *common,
            ]  # fmt: skip
        elif arch == "x86-64":
            self.args = self._pc_args(common)
        else:
            raise ValueError(f"arch: x86-64 or arm64, not {arch!r}")
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @staticmethod
    def pi_config(text: str, board: str) -> dict[str, str]:
        """config.txt's settings as the given board's firmware reads them ("pi4", "pi5"):
        lines under a [filter] count only for [all] and that board, and a later setting
        overrides an earlier one."""
        settings: dict[str, str] = {}
        applies = True
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("[") and line.endswith("]"):
                applies = line[1:-1] in ("all", board)
                continue
            words = line.replace("=", " ", 1).split(None, 1)
            if applies and len(words) == 2:
                settings[words[0]] = words[1].strip()
        return settings

    @classmethod
    def _pi_boot(cls, image: Path, workdir: Path, board: str) -> list[str]:
        """-kernel, -initrd and -append as the board's firmware would take them from the
        boot partition, the console on the virt machine's serial port instead of the Pi's."""
        config = disk_image.read_boot_file(image, "config.txt", workdir / "config.txt")
        wanted = cls.pi_config(config.read_text(), board)
        if not wanted.get("kernel") or not wanted.get("initramfs"):
            raise RuntimeError(f"config.txt names no kernel or initramfs: {config.read_text()}")
        kernel = disk_image.read_boot_file(image, wanted["kernel"], workdir / "kernel")
        initrd = disk_image.read_boot_file(image, wanted["initramfs"], workdir / "initrd.img")
        cmdline = disk_image.read_boot_file(image, "cmdline.txt", workdir / "cmdline.txt")
        options = [o for o in cmdline.read_text().split() if not o.startswith("console=")]
        append = " ".join([*options, "console=ttyAMA0,115200"])
        return ["-kernel", str(kernel), "-initrd", str(initrd), "-append", append]

    def _pc_args(self, common: list[str]) -> list[str]:
        return [
            "qemu-system-x86_64",
            "-machine", f"q35,accel={'kvm' if self.kvm else 'tcg'}",
            # Not the plain host model: nested KVM refuses some host MSRs (arch-capabilities).
            "-cpu", "host,-arch-capabilities" if self.kvm else "max",
            # The firmware as a ROM image (-bios), not as flash: nested KVM cannot run
            # code from flash (an "emulation failure" at OVMF's first FPU instruction).
            # No stored EFI variables then: systemd-boot is at the removable-media path.
            "-bios", str(OVMF),
            "-device", "virtio-vga",
            "-device", "i6300esb",  # a hardware watchdog, as kiosk boards have
            *common,
        ]  # fmt: skip

    def start(self, early_limit_s: float = 300) -> QemuKiosk:
        """Power on, and return once the OS's own start has begun (its first line from
        systemd on the console), or after `early_limit_s` (the caller's waits then say
        what is missing). A kernel panic before that (see KERNEL_PANIC) touched nothing on
        the disk: the machine is powered on again, up to twice, and said so."""
        for attempt in (1, 2, 3):
            self._power_on()
            deadline = time.monotonic() + early_limit_s
            while time.monotonic() < deadline:
                log = self.log()
                if OS_STARTED in log or self.process is None or self.process.poll() is not None:
                    return self
                if KERNEL_PANIC in log:
                    break
                time.sleep(0.2)
            else:
                return self
            print(f"the guest's kernel panicked before the OS started (power-on {attempt})")
            self.stop()
        raise GuestPanicked(f"the guest's kernel panicked three times:\n{self.log()[-3000:]}")

    def _power_on(self) -> None:
        self.serial.unlink(missing_ok=True)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=open(self.workdir / "qemu.log", "wb")
        )

    def log(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    def wait_for(self, text: str, timeout_s: float, count: int = 1) -> float:
        """Seconds from power-on until `text` has been on the serial console `count` times
        (a limit on how long to look, never a judged time)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(text) >= count:
                return time.monotonic() - self.started
            if KERNEL_PANIC in log:
                raise GuestPanicked(f"the guest's kernel panicked:\n{log[-3000:]}")
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(
            f"{text!r} not {count} time(s) on the serial console in {timeout_s:.0f} s:\n"
            f"{self.log()[-3000:]}"
        )

    def qmp(self, command: str, **arguments: Any) -> Any:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(self.qmp_path))
            reader = sock.makefile("r")
            reader.readline()  # greeting
            for message in (
                {"execute": "qmp_capabilities"},
                {"execute": command, "arguments": arguments},
            ):
                sock.sendall(json.dumps(message).encode() + b"\n")
                while True:
                    answer = json.loads(reader.readline())
                    if "return" in answer or "error" in answer:
                        break
            if "error" in answer:
                raise RuntimeError(f"QMP {command}: {answer['error']}")
            return answer["return"]

    def screendump(self, path: Path) -> Path:
        self.qmp("screendump", filename=str(path), format="png")
        return path

    def pull_the_plug(self) -> None:
        """Power off at once: no shutdown, nothing flushed by the guest."""
        self.qmp("quit")
        self.wait()

    def power_button(self, timeout_s: float = 120) -> None:
        self.qmp("system_powerdown")
        self.wait(timeout_s)

    def wait(self, timeout_s: float = 60) -> None:
        if self.process is not None:
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
