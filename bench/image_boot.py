"""Power-on to the attract screen and to the first heartbeat at central, for the x86-64
disk image under QEMU (KVM where it can run the firmware, else TCG emulation), and the
image's sizes, with the read-only root as ext4 (what the image uses) against erofs.

The baseline of the same run is the bare system: power-on until logind is up (the OS
without the kiosk). The kiosk's own cost is the ratio of the first frame to that.
Two boots: the first (the state partition grown, the releases partition made, enrolment
with central) and an ordinary one.

    python -m bench.image_boot --image OUT/palvelupiste-x86-64.img
    (`./run image-test` builds the image, runs the boot tests and then this)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtools import disk_image
from devtools.builders import sample_catalogue
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.qemu_kiosk import QemuKiosk, kvm_runs_firmware

ROOT = Path(__file__).resolve().parents[1]

FIRST_FRAME = "first frame drawn: attract screen"
# Where the time goes, said by the guest's own systemd once the UI is up: the chain of
# units the UI waited for, and the slowest units. To the journal, which the image
# forwards to the serial console (a box has no login to ask it on).
CHAIN_MARK = "boot chain:"
CHAIN_SCRIPT = (
    "until systemd-analyze time >/dev/null 2>&1; do sleep 2; done; "
    "systemd-analyze critical-chain kiosk-ui.service kiosk-agent.service"
    f" | sed 's/^/{CHAIN_MARK} /'; "
    f"systemd-analyze blame | head -12 | sed 's/^/{CHAIN_MARK} blame /'; "
    # The UI's own start, step by step, on the guest's clock (seconds since the kernel).
    "journalctl -b -o short-monotonic --no-pager | grep -E "
    "'kiosk-ui|cage|Xwayland|user@|session-|kiosk.ui|Kivy|GL:|Window:|Started systemd-logind'"
    f" | grep -v '{CHAIN_MARK}' | head -120 | sed 's/^/{CHAIN_MARK} ui /'; echo '{CHAIN_MARK} end'"
)
CHAIN_UNIT = f"""[Unit]
Description=Bench: where the boot's time went
After=kiosk-ui.service
[Service]
Type=exec
ExecStart=/bin/sh -c "{CHAIN_SCRIPT}"
"""
OS_UP = "Started systemd-logind.service"
GUEST_CENTRAL = "10.0.2.100:8000"


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def sizes(image: Path) -> None:
    print(f"image {image.name}: {mib(image.stat().st_size)} raw", end="")
    packed = image.with_name(image.name + ".zst")
    if packed.exists():
        size = packed.stat().st_size
        print(f", {mib(size)} = {size / 1e6:.1f} MB zstd -10 (target ≤ 500 MB)", end="")
    print()
    rootfs = image.parent / "rootfs"
    if rootfs.is_dir():
        file_systems(rootfs, "root file system")
    else:
        print("no rootfs beside the image: ext4 and erofs not compared")


def file_systems(tree: Path, what: str) -> None:
    """The same tree as ext4 (as images/disk.sh makes it: used size + 15 % + 64 MiB,
    then only what mkfs.ext4 -d filled counts) and as erofs with lz4hc compression."""
    if shutil.which("mkfs.erofs") is None:
        print("mkfs.erofs is not installed (erofs-utils): ext4 and erofs not compared")
        return
    with tempfile.TemporaryDirectory() as scratch:
        ext4, erofs = Path(scratch) / "root.ext4", Path(scratch) / "root.erofs"
        used_mb = int(subprocess.check_output(["du", "-sm", str(tree)]).split()[0])
        timed = {}
        for name, command in (
            (
                "ext4",
                ["mkfs.ext4", "-q", "-d", str(tree), str(ext4), f"{used_mb * 115 // 100 + 64}M"],
            ),
            ("erofs", ["mkfs.erofs", "-zlz4hc", str(erofs), str(tree)]),
        ):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=1800)
            timed[name] = time.perf_counter() - started
        ext4_size = ext4.stat().st_size
        ext4_used = (
            int(
                re.search(r"(\d+) blocks used", _dumpe2fs_used(ext4)).group(1)  # type: ignore[union-attr]
            )
            * 4096
        )
        erofs_size = erofs.stat().st_size
        print(
            f"{what}: ext4 {mib(ext4_size)} partition, {mib(ext4_used)} used · erofs lz4hc "
            f"{mib(erofs_size)} ({erofs_size / ext4_used:.2f}× ext4's used; made in "
            f"{timed['erofs'] / timed['ext4']:.1f}× ext4's time)"
        )


def _dumpe2fs_used(path: Path) -> str:
    out = subprocess.check_output(
        ["dumpe2fs", "-h", str(path)], text=True, stderr=subprocess.DEVNULL
    )
    count = int(re.search(r"^Block count:\s+(\d+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    free = int(re.search(r"^Free blocks:\s+(\d+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return f"{count - free} blocks used"


def startup_line(log: str) -> str:
    """systemd's own account: "7.5s (kernel) + 48.1s (userspace) = 55.6s"."""
    # PID 1's line, not the kiosk user's own systemd, which says it first.
    found = re.search(r"systemd\[1\]: Startup finished in ([^\n]*?)\.?\s*$", log, re.MULTILINE)
    return found.group(1) if found else "not said"


def boot_once(disk: Path, workdir: Path, central, kvm: bool, limit_s: float) -> dict:
    server, org = central
    port = int(server.base.rsplit(":", 1)[1])
    vm = QemuKiosk(disk, workdir, forward={GUEST_CENTRAL: port}, tcg=not kvm).start()
    before = {k["id"]: (k.get("last_seen") or "") for k in _kiosks(central)}
    try:
        # One loop for all three: each is timed when first seen (half a second apart).
        os_up = frame = beat = None
        deadline = time.monotonic() + limit_s
        while (frame is None or beat is None) and time.monotonic() < deadline:
            now, log = time.monotonic() - vm.started, vm.log()
            os_up = os_up if os_up is not None or OS_UP not in log else now
            frame = frame if frame is not None or FIRST_FRAME not in log else now
            if beat is None and any(
                (k.get("last_seen") or "") > before.get(k["id"], "") for k in _kiosks(central)
            ):
                beat = now
            time.sleep(0.5)
        if os_up is None or frame is None:
            raise SystemExit(f"no attract screen in {limit_s:.0f} s:\n{vm.log()[-2000:]}")
        vm.wait_for("systemd[1]: Startup finished", limit_s)
        vm.wait_for(f"{CHAIN_MARK} end", limit_s)
        startup = startup_line(vm.log())
        chain = [
            line.split(CHAIN_MARK, 1)[1].rstrip()
            for line in vm.log().splitlines()
            if CHAIN_MARK in line and not line.endswith(f"{CHAIN_MARK} end")
        ]
        vm.power_button(limit_s)
    finally:
        vm.stop()
    return {"os_up": os_up, "frame": frame, "heartbeat": beat, "systemd": startup, "chain": chain}


def _kiosks(central) -> list[dict]:
    server, org = central
    return ok(server.request("GET", "/kiosks", org.tokens["org_admin"]))["items"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", type=Path, default=os.environ.get("PALVELUPISTE_IMAGE"))
    parser.add_argument(
        "--quick", action="store_true", help="no VM: ext4 against erofs on this checkout's code"
    )
    args = parser.parse_args()
    if args.quick:
        file_systems(ROOT / "kiosk", "this checkout's kiosk/ (quick form: no image, no VM)")
        return 0
    if args.image is None or not Path(args.image).exists():
        print("bench/image_boot.py: no image given (--image, or run ./run image-test)")
        return 0
    if shutil.which("qemu-system-x86_64") is None:
        print("bench/image_boot.py: qemu-system-x86 is not installed (./run image-test does)")
        return 0
    image = Path(args.image)
    sizes(image)
    kvm = kvm_runs_firmware()
    limit_s = 120 if kvm else 1200
    print(f"booting under {'KVM' if kvm else 'TCG emulation (KVM cannot run the firmware here)'}")

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        server = start_central(f"sqlite:///{work}/central.db")
        try:
            national = add_user(server, "national_admin", None)
            ok(server.request("POST", "/catalogue/import", national, json=sample_catalogue()))
            org = make_org(server, national, with_kiosk=False)
            central = (server, org)
            disk = work / "disk.img"
            subprocess.run(["cp", "--sparse=always", str(image), str(disk)], check=True)
            os.truncate(disk, 8 * 2**30)
            token = ok(
                server.request(
                    "POST",
                    f"/sites/{org.site_id}/enrollment-tokens",
                    org.tokens["technician"],
                    json={},
                ),
                201,
            )["token"]
            ticket = work / "palvelupiste-enrol.json"
            ticket.write_text(
                json.dumps({"central": f"http://{GUEST_CENTRAL}", "token": token, "insecure": True})
            )
            disk_image.put_on_boot_partition(disk, ticket, ticket.name)
            if not kvm:  # see tests/images/test_boot.py: llvmpipe's JIT under TCG
                disk_image.add_boot_options(disk, "systemd.setenv=GALLIUM_DRIVER=softpipe")
            disk_image.add_unit(disk, "bench-boot-chain.service", CHAIN_UNIT, "graphical.target")
            for name in ("first boot (grow, enrol)", "ordinary boot"):
                got = boot_once(disk, work / name.split()[0], central, kvm, limit_s)
                beat = f"{got['heartbeat']:.1f} s" if got["heartbeat"] else "none"
                print(
                    f"{name}: OS up (logind) {got['os_up']:.1f} s · attract screen "
                    f"{got['frame']:.1f} s ({got['frame'] / got['os_up']:.2f}× OS up) · first "
                    f"heartbeat at central {beat} · systemd: {got['systemd']}"
                )
                print("  where the time went (the guest's systemd-analyze):")
                for line in got["chain"]:
                    print(f"    {line}")
        finally:
            server.stop()
    print("target: attract screen ≤ 1.3× OS up (logind), in the same boot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
