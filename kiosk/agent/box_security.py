"""The box's own security settings as they are on the running system, for the heartbeat:
the fleet console shows a kiosk whose root became writable, whose state partition lost
noexec, or whose SSH takes passwords, and the image's boot test reads them the same way.

Read from PID 1's mount table, not the agent's own: the agent's sandbox
(ProtectSystem=strict) sees every file system read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

SSH_UNITS = ("ssh.service", "sshd.service")
SSHD_PID = "run/sshd.pid"  # under the root; sshd's default PidFile
CONSOLE_GETTIES = ("getty@.service", "serial-getty@.service")


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes (\040 …).
    return field.encode().decode("unicode_escape") if "\\" in field else field


def mount_options(path: Path, mountinfo: str) -> list[str] | None:
    """The per-mount options (ro/rw, nosuid, nodev, noexec, …) of the mount holding
    `path`: the longest mount point that is `path` or one of its parents."""
    best: tuple[int, list[str]] | None = None
    target = str(path)
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        point = _unescape(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), fields[5].split(","))
    return best[1] if best else None


def read_mountinfo(proc: Path = Path("/proc")) -> str:
    for source in (proc / "1/mountinfo", proc / "self/mountinfo"):
        try:
            return source.read_text()
        except OSError:
            continue
    return ""


def _masked(unit: Path) -> bool:
    return unit.is_symlink() and str(unit.readlink()) == "/dev/null"


def ssh_login(root: Path = Path("/")) -> str:
    """ "not installed", "off" (installed, not enabled or not running), "key-only" or
    "password". On the image sshd is enabled but runs only when a technician's keys are
    on the boot partition (kiosk-ssh-keys.service): running is sshd's pid file."""
    if not (root / "usr/sbin/sshd").exists():
        return "not installed"
    wants = root / "etc/systemd/system/multi-user.target.wants"
    enabled = any((wants / unit).exists() for unit in SSH_UNITS)
    if not enabled or not (root / SSHD_PID).exists():
        return "off"
    settings: dict[str, str] = {}
    for words in _sshd_lines(root, root / "etc/ssh/sshd_config"):
        # sshd takes the first value it reads for each keyword.
        settings.setdefault(words[0].lower(), words[1].lower())
    passwords = settings.get("passwordauthentication", "yes") != "no"
    keyboard = settings.get("kbdinteractiveauthentication", "yes") != "no"
    return "password" if passwords or keyboard else "key-only"


def _sshd_lines(root: Path, config: Path, depth: int = 0) -> Iterator[list[str]]:
    """sshd's settings in the order sshd reads them: an Include is read where it stands
    (Debian's sshd_config includes sshd_config.d/*.conf on its first line)."""
    try:
        lines = config.read_text().splitlines()
    except OSError:
        return
    for line in lines:
        words = line.split()
        if len(words) < 2 or words[0].startswith("#"):
            continue
        if words[0].lower() == "include" and depth < 4:
            for pattern in words[1:]:
                relative = pattern.lstrip("/") if pattern.startswith("/") else f"etc/ssh/{pattern}"
                for included in sorted(root.glob(relative)):
                    yield from _sshd_lines(root, included, depth + 1)
            continue
        yield words


def unattended_upgrades(root: Path = Path("/")) -> bool:
    periodic = root / "etc/apt/apt.conf.d/20auto-upgrades"
    try:
        return 'APT::Periodic::Unattended-Upgrade "1";' in periodic.read_text()
    except OSError:
        return False


def console_logins(root: Path = Path("/")) -> bool:
    """Whether a login prompt can appear on a console (a getty not masked)."""
    units = root / "etc/systemd/system"
    return not all(_masked(units / getty) for getty in CONSOLE_GETTIES)


def report(state_dir: Path, root: Path = Path("/"), mountinfo: str | None = None) -> dict[str, Any]:
    table = read_mountinfo() if mountinfo is None else mountinfo
    root_options = mount_options(Path("/"), table) or []
    return {
        "root_read_only": "ro" in root_options,
        "state_mount": mount_options(state_dir, table) or [],
        "ssh": ssh_login(root),
        "unattended_upgrades": unattended_upgrades(root),
        "console_logins": console_logins(root),
    }
