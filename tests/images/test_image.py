"""images/build.sh builds a real Debian 13 root filesystem here (mmdebstrap, Debian's
packages, this checkout's wheels built in a Debian 13 build root), then the result is
inspected and run from inside."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contract.release import VERSION
from devtools import disk_image
from devtools.vpcd_card import exclusive_pcscd

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("mmdebstrap") is None,
        reason="building an image needs root and mmdebstrap (./run test installs it)",
    ),
]


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    out = tmp_path_factory.mktemp("image")
    with exclusive_pcscd():  # the card tests' timing does not survive the build beside them
        done = subprocess.run(
            ["bash", str(REPO / "images/build.sh"), "--kernel", str(out)],
            capture_output=True,
            text=True,
            timeout=1500,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "rootfs"


@pytest.fixture(scope="module")
def disk(rootfs):
    """The bootable disk image made of that root filesystem (images/disk.sh)."""
    out = rootfs.parent
    done = subprocess.run(
        ["bash", str(REPO / "images/disk.sh"), "--reuse-rootfs", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "palvelupiste-x86-64.img"


ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"


def test_the_disk_image_is_gpt_with_boot_root_and_state(disk):
    """Partitions by type and label as systemd-repart made them from images/repart.d;
    systemd-boot and the kernel on the boot partition; the root file system's label is
    the one the kernel is told to mount; small enough to hand out."""
    partitions = disk_image.partitions(disk)
    parts = [(p.type, p.name) for p in partitions]
    assert parts == [(ESP, "kiosk-boot"), (ROOT_X86_64, "kiosk-root"), (LINUX, "kiosk-state")]
    boot, root, state_part = partitions
    esp = f"{disk}@@{boot.offset}"
    listing = [name.lower() for name in disk_image.boot_partition_files(disk)]
    for wanted in ("EFI/BOOT/BOOTX64.EFI", "vmlinuz", "initrd.img", "loader/entries/"):
        assert wanted.lower() in listing, listing
    entry = subprocess.run(
        ["mtype", "-i", esp, "::/loader/entries/palvelupiste.conf"],
        capture_output=True,
        text=True,
        env=os.environ | {"MTOOLS_SKIP_CHECK": "1"},
    ).stdout
    assert "root=LABEL=kiosk-root ro" in entry
    probe = subprocess.run(
        ["blkid", "-p", "-O", str(root.offset), "-o", "export", str(disk)],
        capture_output=True,
        text=True,
    ).stdout
    assert "LABEL=kiosk-root" in probe and "TYPE=ext4" in probe
    # The state partition keeps nothing for root: the kiosk's own space reserve is what a
    # full partition falls back on (kiosk/disk_reserve.py).
    state = subprocess.run(
        ["dumpe2fs", "-h", f"{disk}?offset={state_part.offset}"], capture_output=True, text=True
    ).stdout
    assert re.search(r"^Reserved block count:\s+0$", state, re.MULTILINE), state[:2000]
    compressed = disk.with_name(disk.name + ".zst")
    assert compressed.stat().st_size <= 500 * 2**20  # ≤ 500 MiB to download and write


def test_first_boot_grows_the_state_partition(rootfs):
    """The image's own repart definitions: the same partitions, only the state one may
    grow; its file system grows with it when mounted."""
    definitions = sorted((rootfs / "usr/lib/repart.d").glob("*.conf"))
    assert [d.name for d in definitions] == [
        "10-boot.conf",
        "20-root.conf",
        "30-state.conf",
        "40-releases.conf",  # not in the image: made on first boot, a fixed size
    ]
    for definition in definitions:
        text = definition.read_text()
        assert "CopyBlocks=" not in text
        assert ("Weight=0" in text) == (definition.name in ("10-boot.conf", "20-root.conf"))
    releases = (rootfs / "usr/lib/repart.d/40-releases.conf").read_text()
    assert "Format=ext4" in releases and "SizeMaxBytes=3G" in releases
    assert (rootfs / "etc/systemd/system/sysinit.target.wants/systemd-repart.service").is_symlink()
    # And what it links to is in the image (its own package since Debian 13).
    assert (rootfs / "usr/lib/systemd/system/systemd-repart.service").is_file()
    assert (rootfs / "usr/bin/systemd-repart").is_file()
    fstab = (rootfs / "etc/fstab").read_text()
    assert "x-systemd.growfs" in fstab and "PARTLABEL=kiosk-boot /boot/firmware vfat" in fstab
    # The UI's user session has its own D-Bus: WirePlumber (the call's sound) needs it; a
    # booted image without it showed WirePlumber exiting in the VM's journal.
    assert (rootfs / "usr/lib/systemd/user/dbus.socket").exists()
    # The sound server starts when a call or speech first connects (its sockets), not with
    # the session while the UI starts; WirePlumber comes with it.
    user = rootfs / "etc/systemd/user"
    for socket in ("pipewire.socket", "pipewire-pulse.socket"):
        assert (user / "sockets.target.wants" / socket).is_symlink(), socket
    assert (user / "pipewire.service.wants/wireplumber.service").is_symlink()
    assert not list((user / "default.target.wants").glob("*pipewire*"))
    assert not (user / "default.target.wants/filter-chain.service").exists()


def test_units_are_enabled_and_boot_to_the_kiosk(rootfs):
    wants = rootfs / "etc/systemd/system"
    for target, unit in [
        ("multi-user.target.wants", "kiosk-firstboot.service"),
        ("multi-user.target.wants", "kiosk-agent.service"),
        ("multi-user.target.wants", "kiosk-update-boot.service"),
        ("graphical.target.wants", "kiosk-ui.service"),
        ("timers.target.wants", "kiosk-update.timer"),
    ]:
        assert (wants / target / unit).is_symlink(), unit
    assert os.readlink(wants / "default.target").endswith("graphical.target")
    # The first boot: kiosk-update-boot makes the factory release current and committed
    # (the units run it through those links).
    first = subprocess.run(
        ["chroot", str(rootfs), "/opt/palvelupiste/venv/bin/kiosk-update",
         "--state-dir", "/var/lib/kiosk", "boot", "--factory", "/opt/palvelupiste"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0 and "from /opt/palvelupiste is current" in first.stdout, first
    assert os.readlink(rootfs / "var/lib/kiosk/releases/current") == VERSION
    done = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            f"--root={rootfs}",
            "kiosk-agent.service",
            "kiosk-ui.service",
            "kiosk-firstboot.service",
            "kiosk-update-boot.service",
            "kiosk-update.service",
            "kiosk-update.timer",
            "kiosk-ssh-keys.service",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "kiosk-" not in done.stderr, done.stderr


def test_ssh_is_there_for_a_technicians_key_only(rootfs):
    """sshd is in the image but starts only after kiosk-ssh-keys found keys on the boot
    partition (its drop-in's condition), key-only, with a host key made on the kiosk."""
    assert not list((rootfs / "etc/ssh").glob("ssh_host_*"))  # none shared through the image
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "kiosk-ssh-keys.service").is_symlink()
    dropin = (rootfs / "etc/systemd/system/ssh.service.d/palvelupiste.conf").read_text()
    assert "ConditionPathExists=/run/palvelupiste-ssh/authorized_keys" in dropin
    # sshd's own reading of its configuration: what it would do, not what a file says
    # (it wants a host key and its run directory for that, given here for the moment).
    key, run = rootfs / "tmp/test-host-key", rootfs / "run/sshd"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    run.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["chroot", str(rootfs), "/usr/sbin/sshd", "-T",
             "-C", "user=root,host=x,addr=10.0.0.1", "-h", "/tmp/test-host-key"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        key.unlink()
        key.with_suffix(".pub").unlink()
        run.rmdir()
    settings = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert settings.get("passwordauthentication") == "no", done.stderr
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["permitrootlogin"] == "without-password"
    assert settings["authorizedkeysfile"] == "/run/palvelupiste-ssh/authorized_keys"
    assert settings["allowusers"] == "root"


def test_the_kiosk_user_owns_the_state_directory(rootfs):
    passwd = (rootfs / "etc/passwd").read_text().splitlines()
    kiosk = next(line.split(":") for line in passwd if line.startswith("kiosk:"))
    assert kiosk[5] == "/var/lib/kiosk" and kiosk[6] == "/usr/sbin/nologin"
    assert (rootfs / "var/lib/kiosk").stat().st_uid == int(kiosk[2])


def test_root_is_read_only_and_logs_are_bounded(rootfs):
    fstab = [
        line.split()
        for line in (rootfs / "etc/fstab").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    mounts = {fields[1]: fields[3] for fields in fstab}
    assert mounts["/"].startswith("ro,")
    assert mounts["/var/lib/kiosk"].startswith("rw,")
    # Nothing runs from the state partition; the releases, which must run, have their own.
    assert {"nosuid", "nodev", "noexec"} <= set(mounts["/var/lib/kiosk"].split(","))
    assert "noexec" not in mounts["/var/lib/kiosk/releases"].split(",")
    # Debian 13's units that would fail on the read-only root at every boot, masked.
    for unit in ("systemd-growfs-root.service", "systemd-networkd-persistent-storage.service"):
        assert os.readlink(rootfs / "etc/systemd/system" / unit) == "/dev/null", unit
    # No login prompt on any console, the serial one included.
    for getty in ("getty@.service", "serial-getty@.service", "autovt@.service"):
        assert os.readlink(rootfs / "etc/systemd/system" / getty) == "/dev/null", getty
    assert (
        "Storage=volatile" in (rootfs / "etc/systemd/journald.conf.d/palvelupiste.conf").read_text()
    )
    assert (rootfs / "etc/machine-id").read_text() == ""


def test_the_software_runs_inside_the_image_without_the_server_parts(rootfs):
    venv = "/opt/palvelupiste/venv/bin"
    probe = (
        "import kiosk.agent.agent, kiosk.ui.i18n, provisioning.cli, hardware.devices\n"
        "import importlib.util as u\n"
        "assert u.find_spec('kivy') and u.find_spec('cv2')\n"
        # Compiled modules whose debug symbols were stripped still load.
        "import kivy.properties, kivy.graphics.instructions, kivy._clock, numpy, av\n"
        "assert u.find_spec('fastapi') is None and u.find_spec('sqlalchemy') is None\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        ["chroot", str(rootfs), f"{venv}/python", "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "ok", done.stderr
    for command in ("kiosk-ui", "kiosk-agent", "kiosk-provision", "kiosk-update"):
        helped = subprocess.run(
            ["chroot", str(rootfs), f"{venv}/{command}", "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert helped.returncode == 0 and "usage:" in helped.stdout, command


def test_the_software_is_the_factory_release_and_the_os_upgrades_itself(rootfs):
    factory = rootfs / "opt/palvelupiste"
    assert (factory / ".installed").read_text().strip() == VERSION
    assert '"version": "' + VERSION + '"' in (factory / "manifest.json").read_text()
    # Built for the image's own Python (Debian 13's) and machine: the updater refuses
    # anything else (tests/updates/test_updater.py).
    manifest = json.loads((factory / "manifest.json").read_text())
    assert manifest["python"] == "cp313" and manifest["machine"] == "x86_64"
    assert (factory / "venv/lib/python3.13/site-packages/kiosk").is_dir()
    # No debug symbols in its compiled modules (Kivy's wheels carry 80 MB of them).
    site = factory / "venv/lib/python3.13/site-packages"
    modules = [p for p in site.rglob("*.so*") if p.is_file()]
    with_symbols = [
        p.name
        for p in modules
        if ".debug_info"
        in subprocess.run(["readelf", "-S", str(p)], capture_output=True, text=True).stdout
    ]
    assert len(modules) > 50 and with_symbols == [], with_symbols[:5]
    # Its wheels are not kept (the image's size): the first update comes in full.
    assert not (factory / "wheels").exists()
    # The bundle it was installed from is left beside the image, to publish.
    assert (rootfs.parent / f"palvelupiste-{VERSION}.tar").is_file()
    auto = (rootfs / "etc/apt/apt.conf.d/20auto-upgrades").read_text()
    assert 'Unattended-Upgrade "1"' in auto
    dropin = rootfs / "etc/systemd/system/apt-daily-upgrade.service.d"
    assert "remount,rw" in (dropin / "palvelupiste-writable-root.conf").read_text()


def test_the_boxs_time_zone_is_a_link_the_agent_keeps(rootfs):
    """Issue 33: the read-only root's /etc/localtime points at /run/kiosk-zone, which
    tmpfiles makes Helsinki at boot and the agent points at its site's zone."""
    assert os.readlink(rootfs / "etc/localtime") == "/run/kiosk-zone/localtime"
    rules = (rootfs / "usr/lib/tmpfiles.d/palvelupiste.conf").read_text()
    assert "d /run/kiosk-zone 0755 kiosk kiosk -" in rules
    assert "L /run/kiosk-zone/localtime - - - - /usr/share/zoneinfo/Europe/Helsinki" in rules
    assert (rootfs / "usr/share/zoneinfo/Europe/Helsinki").is_file()
    unit = (rootfs / "usr/lib/systemd/system/kiosk-agent.service").read_text()
    assert (
        "--zone-dir /run/kiosk-zone" in unit
        and "/run/kiosk-zone" in unit.split("ReadWritePaths=")[1].splitlines()[0]
    )
