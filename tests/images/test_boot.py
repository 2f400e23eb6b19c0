"""The x86-64 disk image booted under QEMU, as a technician's kiosk boots it
(`./run image-test`; not in `./run test`: where KVM cannot run the firmware, as on these
CI machines, every boot runs under TCG emulation and takes minutes).

One disk, booted several times in order, the way one kiosk lives:
1. first boot with the enrolment file on the boot partition and a real central on the
   host (reached only through QEMU's guestfwd): repart grows the state partition and
   makes the releases partition, the kiosk enrols, syncs, shows the attract screen
   (QEMU's screendump read by OCR), beats with its box settings, answers a self-test and
   a remote screenshot;
2. the power cut while usage events are being committed: state.db whole, no committed
   event lost, the state file system recovered on the next boot and clean after it;
3. SSH, off until a technician's public key is on the boot partition, then key-only:
   the key logs in as root, a password never, the kiosk user never;
   without a network (the link down), the UI starts before systemd gives up on the
   network;
4. the state partition full: the UI still comes up and the agent reports the disk;
   the UI frozen inside the guest: systemd's watchdog restarts it.

Nothing logs in to the guest but test 3's SSH (no login by design): what happens inside is read
from the serial console (the journal is forwarded there), from central, and from the
disk afterwards (devtools/disk_image.py); what the test makes happen inside is a unit it
writes into its copy of the image.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from devtools import disk_image
from devtools.launcher import free_port
from devtools.qemu_kiosk import QemuKiosk, kvm_runs_firmware
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

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("PALVELUPISTE_IMAGE_TEST") != "1",
        reason="boots a VM for minutes: run with ./run image-test",
    ),
]


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    # An image built earlier (images/disk.sh), or built now.
    return built_image(tmp_path_factory, "amd64", os.environ.get("PALVELUPISTE_IMAGE"))


@pytest.fixture(scope="module")
def kvm() -> bool:
    runs = kvm_runs_firmware()
    print(f"KVM {'runs' if runs else 'cannot run'} the firmware here: booting under "
          f"{'KVM' if runs else 'TCG emulation'}")  # fmt: skip
    return runs


@pytest.fixture(scope="module")
def disk(image, kvm, central, tmp_path_factory) -> Path:
    # Mesa's llvmpipe JIT crashes under QEMU's TCG (not under KVM or on hardware).
    return kiosk_disk(image, central, tmp_path_factory.mktemp("kiosk"), software_gl=not kvm)


def boot(disk: Path, kvm: bool, central, workdir: Path, ssh_port: int | None = None) -> QemuKiosk:
    server, _ = central
    port = int(server.base.rsplit(":", 1)[1])
    return QemuKiosk(
        disk,
        workdir,
        forward={CENTRAL_IN_GUEST: port},
        tcg=not kvm,
        host_forward={ssh_port: 22} if ssh_port else None,
    ).start()


def limit(kvm: bool, seconds: float) -> float:
    return seconds if kvm else seconds * 8  # TCG emulation is that much slower


def ssh_banner(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.settimeout(10)
        try:
            return sock.recv(64)
        except (TimeoutError, ConnectionResetError):
            return b""


def test_first_boot_enrols_and_shows_the_attract_screen(disk, kvm, central, tmp_path):
    server, org = central
    ssh_port = free_port()
    vm = boot(disk, kvm, central, tmp_path / "vm", ssh_port=ssh_port)
    try:
        first_frame = vm.wait_for(FIRST_FRAME, limit(kvm, 120))
        log = vm.log()
        assert "enrolled as kiosk" in log, log[-3000:]
        # The virtual GPU has no 3D: cage draws in software instead of crashing.
        assert "cage renders in software (pixman)" in log
        assert "Read-only file system" not in log and "kiosk login:" not in log
        assert "Failed to start" not in log  # no unit failed on the read-only root

        screen = vm.screendump(tmp_path / "attract-in-vm.png")
        keep_to_look_at(screen)
        text = words_on(screen)
        assert any(word in text for word in ATTRACT_WORDS), text

        # Enrolled and synced, beating with the box's own settings read inside the guest.
        kiosk = kiosk_at_central(
            central,
            lambda k: (k.get("health") or {}).get("system") is not None,
            limit(kvm, 120),
        )
        health = kiosk["health"]
        system = health["system"]
        assert system["root_read_only"] is True
        assert {"rw", "nosuid", "nodev", "noexec"} <= set(system["state_mount"])
        assert system["ssh"] == "off"  # sshd is there, for a technician's key only
        # Nothing answers on port 22 (QEMU accepts the forwarded connection, and closes
        # it at once: no SSH banner).
        assert ssh_banner(ssh_port) == b""
        assert system["unattended_upgrades"] is True
        assert system["console_logins"] is False  # cage on the screen, nothing on serial
        assert health["disk_free_mb"] > 2048  # the state partition grew to the disk
        # The box took its site's zone (Lisbon's, not the image's Helsinki): what a program
        # started in it now says its local time is (booted.BOX_ZONE_UNIT).
        assert wait_for(lambda: any(z in vm.log() for z in SITE_ZONE_SHOWN), limit(kvm, 120)), [
            line for line in vm.log().splitlines() if "box zone:" in line
        ][-3:]

        # The technician's self-test and a remote screenshot, asked from central.
        tested = run_command(central, kiosk["id"], "self_test", limit(kvm, 120))
        assert re.search(r"devices passed|failed:", tested.get("detail") or ""), tested
        shot = run_command(central, kiosk["id"], "screenshot", limit(kvm, 120))
        assert shot["status"] == "succeeded", shot
        png = server.request(
            "GET", f"/kiosks/{kiosk['id']}/commands/{shot['id']}/artifact", org.tokens["org_admin"]
        )
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
        remote = tmp_path / "remote-screenshot.png"
        remote.write_bytes(png.content)
        assert any(word in words_on(remote) for word in ATTRACT_WORDS)
        print(f"first frame {first_frame:.0f} s after power-on ({'KVM' if kvm else 'TCG'})")
        vm.power_button(limit(kvm, 60))
    finally:
        vm.stop()

    names = [p.name for p in disk_image.partitions(disk)]
    assert names == ["kiosk-boot", "kiosk-root", "kiosk-state", "kiosk-releases"]
    state = disk_image.partition(disk, "kiosk-state")
    assert state.sectors * 512 > 2 * 2**30  # grown from 512 MB to the rest of 8 GiB
    assert "palvelupiste-enrol.done" in disk_image.boot_partition_files(disk)
    assert "palvelupiste-enrol.json" not in disk_image.boot_partition_files(disk)
    assert disk_image.check_file_system(disk, "kiosk-state").returncode == 0


WRITER = """[Unit]
Description=Boot test: usage events committed in a loop, each one said on the console
After=kiosk-ui.service

[Service]
User=kiosk
StandardOutput=journal+console
ExecStart=/opt/palvelupiste/venv/bin/python -u /usr/local/lib/boot-test-events.py
"""
WRITER_CODE = """import time, uuid
from contract.events import validate
from kiosk.outbox import Outbox
from kiosk.store import StateStore

box = Outbox(StateStore("/var/lib/kiosk/state.db"))
while True:
    made = box.add("session_started", {}, session_id=str(uuid.uuid4()), check=validate)
    print("committed event", made, flush=True)  # after the commit returned
    time.sleep(0.05)
"""


def test_a_power_cut_while_events_are_written_loses_no_committed_event(
    disk, kvm, central, tmp_path
):
    disk_image.write_file(disk, "kiosk-root", "/usr/local/lib/boot-test-events.py", WRITER_CODE)
    disk_image.add_unit(disk, "boot-test-events.service", WRITER)
    vm = boot(disk, kvm, central, tmp_path / "vm")
    try:
        vm.wait_for(FIRST_FRAME, limit(kvm, 120))
        vm.wait_for("committed event", limit(kvm, 60), count=30)
        vm.pull_the_plug()  # no shutdown: the guest's caches are gone
    finally:
        vm.stop()
    committed = set(re.findall(r"committed event ([0-9a-f-]{36})", vm.log()))
    disk_image.remove_unit(disk, "boot-test-events.service")
    # A real cut: the state file system was left mounted, its journal to replay.
    assert "needs_recovery" in disk_image.file_system_features(disk, "kiosk-state")

    # The next boot: the kernel replays the journal, the UI comes back; then an orderly
    # power-off, and the state as the disk has it.
    vm = boot(disk, kvm, central, tmp_path / "vm-after")
    try:
        vm.wait_for(FIRST_FRAME, limit(kvm, 120))
        vm.power_button(limit(kvm, 60))
    finally:
        vm.stop()
    assert disk_image.check_file_system(disk, "kiosk-state").returncode == 0
    copied = tmp_path / "after-cut"
    copied.mkdir()
    for name in ("state.db", "state.db-wal"):
        try:
            disk_image.read_file(disk, "kiosk-state", f"/{name}", copied / name)
        except FileNotFoundError:
            assert name.endswith("-wal")  # checkpointed at the orderly stop
    db = sqlite3.connect(copied / "state.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = {row[0] for row in db.execute("SELECT id FROM outbox")}
    db.close()
    # Each one is still queued on the kiosk, or the agent has delivered it to central.
    delivered = committed - kept
    assert _at_central(central, delivered), delivered - kept
    print(
        f"{len(committed)} events said committed before the cut: {len(kept & committed)} "
        f"still queued, {len(delivered)} at central, none lost"
    )


def _at_central(central, ids: set[str]) -> bool:
    """Events the agent delivered before the cut are in central's usage store."""
    from sqlalchemy import select

    from central.db.models import UsageEvent

    server, _ = central
    with server.app.state.sessions() as db:
        stored = set(db.scalars(select(UsageEvent.id).where(UsageEvent.id.in_(ids))))
    return ids <= stored


FREEZER = """[Unit]
Description=Boot test: the UI frozen (SIGSTOP) after its first frame
After=kiosk-ui.service

[Service]
Type=oneshot
StandardOutput=journal+console
ExecStart=/bin/sh /usr/local/lib/boot-test-freeze.sh
"""
# The UI's Python process only (its command line starts with the release's interpreter,
# python or python3 as pip wrote the entry point's first line), not cage or the relay.
# The image has no procps (no pkill): /proc read by hand.
FREEZE_SCRIPT = """sleep 20
for dir in /proc/[0-9]*; do
    cmd=$(tr '\\0' ' ' < "$dir/cmdline" 2>/dev/null) || continue
    case "$cmd" in
        */venv/bin/python\\ *kiosk-ui\\ run*|*/venv/bin/python3\\ *kiosk-ui\\ run*)
            kill -STOP "${dir#/proc/}" && echo "boot test: froze the UI (${dir#/proc/})" ;;
    esac
done
"""


def test_ssh_takes_a_technicians_key_and_nothing_else(disk, kvm, central, tmp_path):
    key = tmp_path / "technician"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "technician", "-f", str(key)],
        check=True,
        timeout=30,
    )
    keys = tmp_path / "ssh-authorized-keys"
    keys.write_text(f"# the field technicians\n{key.with_suffix('.pub').read_text()}")
    disk_image.put_on_boot_partition(disk, keys, "ssh-authorized-keys")
    port = free_port()
    vm = boot(disk, kvm, central, tmp_path / "vm", ssh_port=port)
    known_hosts = tmp_path / "known_hosts"

    def ssh(user: str, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ssh", "-p", str(port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
             "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=accept-new",
             *options, f"{user}@127.0.0.1", "id -un; touch /boot-test 2>&1; true"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    try:
        vm.wait_for("SSH on for 1 key(s)", limit(kvm, 120))
        host_key = re.search(r"host key (SHA256:\S+)", vm.log()).group(1)
        vm.wait_for("Started ssh.service", limit(kvm, 60))
        tries: list[subprocess.CompletedProcess[str]] = []
        assert wait_for(
            lambda: tries.append(ssh("root", "-i", str(key))) or tries[-1].returncode == 0,
            limit(kvm, 30),
        ), tries[-1].stderr
        lines = tries[-1].stdout.splitlines()
        assert lines[0] == "root"
        assert "Read-only file system" in lines[1]  # even root cannot change the root
        # The host key is the one the kiosk made for itself and said on its console.
        listed = subprocess.run(
            ["ssh-keygen", "-l", "-f", str(known_hosts)], capture_output=True, text=True
        )
        assert host_key in listed.stdout
        # No password, not even offered; no other user, even with the key.
        password = ssh(
            "root", "-o", "PubkeyAuthentication=no",
            "-o", "PreferredAuthentications=password,keyboard-interactive",
        )  # fmt: skip
        assert password.returncode == 255
        assert "Permission denied (publickey)" in password.stderr
        kiosk_user = ssh("kiosk", "-i", str(key))
        assert kiosk_user.returncode == 255 and "Permission denied" in kiosk_user.stderr
        # And central sees it as the fleet console shows it.
        kiosk_at_central(
            central,
            lambda k: ((k.get("health") or {}).get("system") or {}).get("ssh") == "key-only",
            limit(kvm, 120),
        )
        vm.power_button(limit(kvm, 60))
    finally:
        vm.stop()


def test_an_enrolled_kiosk_without_a_network_starts_its_ui_at_once(disk, kvm, central, tmp_path):
    """The cable out (the NIC's link down from power-on): the UI must not wait for the
    network. It did: it was ordered after the first-boot unit, which (skipped on every
    later boot) was ordered after network-online.target, so an offline kiosk's UI started
    only once systemd gave up on the network (the image's wait-online waits 30 s)."""
    vm = boot(disk, kvm, central, tmp_path / "vm")
    try:
        vm.qmp("set_link", name="net0", up=False)  # before networkd starts
        vm.wait_for(FIRST_FRAME, limit(kvm, 120))
        vm.wait_for("Reached target network-online.target", limit(kvm, 120))
        log = vm.log()
        # The network really was out: systemd gave up on it.
        assert "Timeout occurred while waiting for network connectivity" in log
        # And the UI had started before that, not after.
        started = log.index("Starting kiosk-ui.service")
        assert started < log.index("Reached target network-online.target")
        vm.power_button(limit(kvm, 60))
    finally:
        vm.stop()


def test_a_full_state_partition_and_a_frozen_ui(disk, kvm, central, tmp_path):
    disk_image.fill(disk, "kiosk-state", leave_mb=1)
    disk_image.write_file(disk, "kiosk-root", "/usr/local/lib/boot-test-freeze.sh", FREEZE_SCRIPT)
    disk_image.add_unit(disk, "boot-test-freeze.service", FREEZER)
    vm = boot(disk, kvm, central, tmp_path / "vm")
    try:
        vm.wait_for(FIRST_FRAME, limit(kvm, 120))
        kiosk = kiosk_at_central(
            central,
            lambda k: (k.get("health") or {}).get("disk_free_mb", 10**9) < 100,
            limit(kvm, 120),
        )
        assert "disk_low" in kiosk.get("problems", []) or kiosk["status"] == "degraded"
        assert "state partition full: gave back the .space-reserve" in vm.log()
        frozen = vm.wait_for("boot test: froze the UI", limit(kvm, 60))
        restarted = vm.wait_for("kiosk-ui.service: Watchdog timeout", limit(kvm, 60))
        assert vm.log().count(FIRST_FRAME) == 1
        vm.wait_for(FIRST_FRAME, limit(kvm, 120), count=2)  # the UI back after the restart
        print(f"watchdog restarted the frozen UI {restarted - frozen:.0f} s after the freeze")
    finally:
        vm.stop()
