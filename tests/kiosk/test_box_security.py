"""The box's security settings as the agent reads them for its heartbeat
(kiosk/agent/box_security.py), from mount tables and file trees made here; the booted
image's own values are checked in tests/images/test_boot.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kiosk.agent import box_security

# A kiosk's PID 1 mount table (trimmed from the booted image's).
MOUNTINFO = """\
23 1 254:2 / / ro,noatime shared:1 - ext4 /dev/vda2 ro
24 23 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
40 23 254:3 / /var/lib/kiosk rw,nosuid,nodev,noexec,noatime shared:20 - ext4 /dev/vda3 rw
41 40 254:4 / /var/lib/kiosk/releases rw,nosuid,nodev,noatime shared:21 - ext4 /dev/vda4 rw
42 23 0:40 / /var/lib/kiosk\\040backup rw,relatime shared:22 - tmpfs tmpfs rw
"""


def test_the_mount_holding_a_path_is_the_longest_mount_point():
    options = box_security.mount_options
    assert options(Path("/"), MOUNTINFO) == ["ro", "noatime"]
    assert options(Path("/usr/bin"), MOUNTINFO) == ["ro", "noatime"]
    assert "noexec" in options(Path("/var/lib/kiosk/state.db"), MOUNTINFO)
    assert "noexec" not in options(Path("/var/lib/kiosk/releases/0.2.0"), MOUNTINFO)
    # "/var/lib/kiosk backup" (escaped in mountinfo) is not inside /var/lib/kiosk.
    assert options(Path("/var/lib/kiosk backup/x"), MOUNTINFO) == ["rw", "relatime"]
    assert options(Path("/var/lib/kioskx"), MOUNTINFO) == ["ro", "noatime"]


def test_the_report_says_what_the_box_is(tmp_path):
    root = tmp_path
    (root / "etc/apt/apt.conf.d").mkdir(parents=True)
    (root / "etc/apt/apt.conf.d/20auto-upgrades").write_text(
        'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'
    )
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    report = box_security.report(Path("/var/lib/kiosk"), root=root, mountinfo=MOUNTINFO)
    assert report == {
        "root_read_only": True,
        "state_mount": ["rw", "nosuid", "nodev", "noexec", "noatime"],
        "ssh": "not installed",
        "unattended_upgrades": True,
        "console_logins": True,  # gettys not masked
    }
    for getty in box_security.CONSOLE_GETTIES:
        os.symlink("/dev/null", units / getty)
    assert box_security.console_logins(root) is False


def test_ssh_off_key_only_or_with_passwords(tmp_path):
    root = tmp_path
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sshd").write_text("")
    assert box_security.ssh_login(root) == "off"  # installed, not enabled
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True)
    (wants / "ssh.service").write_text("")
    (root / "etc/ssh/sshd_config.d").mkdir(parents=True)
    (root / "etc/ssh/sshd_config").write_text("Include /etc/ssh/sshd_config.d/*.conf\n")
    # Enabled, but not running (the image's sshd without a technician's keys).
    assert box_security.ssh_login(root) == "off"
    (root / "run").mkdir()
    (root / box_security.SSHD_PID).write_text("123\n")
    assert box_security.ssh_login(root) == "password"  # sshd's defaults take passwords
    (root / "etc/ssh/sshd_config.d/10-kiosk.conf").write_text(
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
    )
    assert box_security.ssh_login(root) == "key-only"
    # sshd keeps the first value it reads: a later "yes" does not undo the "no".
    (root / "etc/ssh/sshd_config.d/20-later.conf").write_text("PasswordAuthentication yes\n")
    assert box_security.ssh_login(root) == "key-only"


def test_the_images_ssh_settings_are_key_only(tmp_path):
    """The drop-in the image installs, read the way the heartbeat reads the booted box."""
    root = tmp_path
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/sshd").write_text("")
    (root / "etc/systemd/system/multi-user.target.wants").mkdir(parents=True)
    (root / "etc/systemd/system/multi-user.target.wants/ssh.service").write_text("")
    (root / "etc/ssh/sshd_config.d").mkdir(parents=True)
    # Debian's own sshd_config after its Include: what it says comes second.
    (root / "etc/ssh/sshd_config").write_text(
        "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication yes\n"
    )
    shutil.copy(SSH_SETTINGS, root / "etc/ssh/sshd_config.d/palvelupiste.conf")
    (root / "run").mkdir()
    (root / box_security.SSHD_PID).write_text("1\n")
    assert box_security.ssh_login(root) == "key-only"


SSH_KEYS = Path(__file__).resolve().parents[2] / "systemd/libexec/kiosk-ssh-keys"
SSH_SETTINGS = Path(__file__).resolve().parents[2] / "systemd/ssh/palvelupiste.conf"


def _public_key(tmp_path: Path, name: str) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(tmp_path / name)],
        check=True,
        timeout=30,
    )
    return (tmp_path / f"{name}.pub").read_text().strip()


def test_ssh_keys_from_the_boot_partition(tmp_path):
    boot, host_keys, run = tmp_path / "boot", tmp_path / "state/ssh-host-keys", tmp_path / "run"
    boot.mkdir()
    args = ["sh", str(SSH_KEYS), str(host_keys), str(run), str(boot)]
    # No file: SSH stays off, no host key made.
    done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "SSH stays off" in done.stdout
    assert not (run / "authorized_keys").exists() and not host_keys.exists()
    # A file written on Windows (CRLF), with a comment, a stray line and a private key's
    # first line: only the public keys are taken, the rest named.
    first, second = _public_key(tmp_path, "tech1"), _public_key(tmp_path, "tech2")
    (boot / "ssh-authorized-keys").write_bytes(
        f"# field technicians\r\n{first}\r\npassword123\r\n"
        f"-----BEGIN OPENSSH PRIVATE KEY-----\r\n\r\n{second}\r\n".encode()
    )
    done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert (run / "authorized_keys").read_text().splitlines() == [first, second]
    assert "line 2 is not a public key" in done.stderr
    assert "line 3 is not a public key" in done.stderr
    assert "password123" not in done.stderr + done.stdout
    assert (run / "authorized_keys").stat().st_mode & 0o077 == 0
    assert host_keys.stat().st_mode & 0o777 == 0o700
    host_key = (host_keys / "ssh_host_ed25519_key.pub").read_text()
    # The next boot keeps the kiosk's host key (a technician's known_hosts stays right).
    subprocess.run(args, check=True, capture_output=True, timeout=30)
    assert (host_keys / "ssh_host_ed25519_key.pub").read_text() == host_key
    # Nothing usable in the file: SSH off again, the old keys gone.
    (boot / "ssh-authorized-keys").write_text("not a key\n")
    done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "SSH stays off" in done.stderr
    assert not (run / "authorized_keys").exists()


DISPLAY = Path(__file__).resolve().parents[2] / "systemd/libexec/kiosk-ui-display"


def _display(drm: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """What kiosk-ui-display says, and WLR_RENDERER as the command it runs sees it."""
    done = subprocess.run(
        ["sh", str(DISPLAY), "sh", "-c", 'echo "renderer=${WLR_RENDERER:-gpu}"'],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": "/usr/bin:/bin", "KIOSK_DRM_CLASS_DIR": str(drm)},
    )
    return done, done.stdout.strip().splitlines()[-1]


def _render_node(drm: Path, name: str, driver: str) -> None:
    (drm / "drivers" / driver).mkdir(parents=True)
    (drm / name / "device").mkdir(parents=True)
    (drm / name / "device/driver").symlink_to(drm / "drivers" / driver)


def test_cage_renders_with_the_gpu_only_where_mesa_drives_one(tmp_path):
    """kiosk-ui.service's main command runs cage through kiosk-ui-display: software
    rendering in cage's environment unless Mesa drives the GPU, read from a
    /sys/class/drm made here (a Pi's, a VM's, none)."""
    none = tmp_path / "none"
    none.mkdir()
    said, renderer = _display(none)
    assert said.returncode == 0 and "no GPU render node" in said.stdout
    assert renderer == "renderer=pixman"

    vm = tmp_path / "vm"  # QEMU's virtio-gpu: a render node, no 3D
    _render_node(vm, "renderD128", "virtio_gpu")
    said, renderer = _display(vm)
    assert "virtio_gpu" in said.stdout and renderer == "renderer=pixman"

    pi = tmp_path / "pi"  # a Raspberry Pi 4/5
    _render_node(pi, "renderD128", "v3d")
    said, renderer = _display(pi)
    assert said.returncode == 0 and "v3d GPU" in said.stdout and renderer == "renderer=gpu"
