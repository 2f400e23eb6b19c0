"""The units, users, directories and device rules in systemd/, checked by systemd's own
tools (`systemd-analyze verify`, `systemd-sysusers`, `systemd-tmpfiles` on a scratch
root). No systemd runs as PID 1 in CI, so the units are verified, not booted; the UI's
watchdog pings are tested against a real notify socket in tests/kiosk/ui/test_lockdown.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

UNITS = Path(__file__).resolve().parents[1] / "systemd"
# Where the units find the software: the factory release, the one running, the committed.
INSTALLED_VENVS = (
    "/opt/palvelupiste/venv",
    "/var/lib/kiosk/releases/current/venv",
    "/var/lib/kiosk/releases/committed/venv",
)

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd's tools are not installed"
)


@needs_systemd
@pytest.mark.skipif(shutil.which("cage") is None, reason="cage is installed by ./run test")
def test_units_pass_systemd_analyze_verify(tmp_path):
    # The units name the installed venvs; here the commands are this checkout's own.
    venv = str(Path(sys.executable).parent.parent)
    names = []
    for unit in sorted([*UNITS.glob("*.service"), *UNITS.glob("*.timer")]):
        text = unit.read_text()
        for installed in INSTALLED_VENVS:
            text = text.replace(installed, venv)
        text = text.replace("/usr/lib/palvelupiste", str(UNITS / "libexec"))
        (tmp_path / unit.name).write_text(text)
        names.append(unit.name)
    assert names == [
        "kiosk-agent.service",
        "kiosk-firstboot.service",
        "kiosk-ssh-keys.service",
        "kiosk-ui.service",
        "kiosk-update-boot.service",
        "kiosk-update.service",
        "kiosk-update.timer",
    ]
    done = subprocess.run(
        ["systemd-analyze", "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours = [line for line in done.stderr.splitlines() if "kiosk-" in line]
    assert done.returncode == 0 and not ours, done.stderr


def test_the_updater_runs_from_the_committed_release_with_a_watchdog():
    update = (UNITS / "kiosk-update.service").read_text()
    assert "/var/lib/kiosk/releases/committed/venv/bin/kiosk-update" in update
    assert "Type=notify" in update and "WatchdogSec=" in update and "RuntimeMaxSec=" in update
    boot = (UNITS / "kiosk-update-boot.service").read_text()
    assert "Before=kiosk-agent.service kiosk-update.service" in boot
    for name in ("kiosk-agent.service", "kiosk-ui.service"):
        assert "/var/lib/kiosk/releases/current/venv/bin/" in (UNITS / name).read_text()
    # The UI's program waits for the check's mark; the check makes it, done or failed.
    ui = (UNITS / "kiosk-ui.service").read_text()
    assert "-- /usr/lib/palvelupiste/kiosk-ui-after-check /var/lib/kiosk/releases/current/" in ui
    assert "kiosk-update-boot.service" not in _ordered_after("kiosk-ui.service")
    assert "kiosk-update-boot.service" in _ordered_after("kiosk-agent.service")
    for made in ("ExecStartPost", "ExecStopPost"):
        assert f"{made}=/usr/bin/touch /run/kiosk-release/checked" in boot


def test_units_are_hardened_and_restart_always():
    for name in ("kiosk-agent.service", "kiosk-ui.service"):
        text = (UNITS / name).read_text()
        for setting in (
            "User=kiosk",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "Restart=always",
            "ReadWritePaths=/var/lib/kiosk",
        ):
            assert setting in text, f"{name} lacks {setting}"
    ui = (UNITS / "kiosk-ui.service").read_text()
    assert "WatchdogSec=" in ui and "NotifyAccess=main" in ui and "/usr/bin/cage -s --" in ui
    assert "ExecStart=/usr/lib/palvelupiste/kiosk-ui-relay " in ui


# The exposure `systemd-analyze security` gives each unit (0 safe … 10 unsafe) may not
# exceed these: the kiosk user's daemons 2.5, the UI 4 (it drives every device and
# renders with Mesa), the root units 4 (capabilities bounded to what each needs).
EXPOSURE_TARGETS = {
    "kiosk-agent.service": 2.5,
    "kiosk-update.service": 2.5,
    "kiosk-update-boot.service": 2.5,
    "kiosk-ui.service": 4.0,
    "kiosk-firstboot.service": 4.0,
    "kiosk-ssh-keys.service": 4.0,
}


def exposure(unit: Path) -> float:
    answer = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", answer.stdout)
    assert found, answer.stdout[-500:] + answer.stderr[-500:]
    return float(found.group(1))


@needs_systemd
def test_every_units_exposure_is_under_its_target():
    services = sorted(p.name for p in UNITS.glob("*.service"))
    assert services == sorted(EXPOSURE_TARGETS), "give a new unit its exposure target"
    measured = {name: exposure(UNITS / name) for name in services}
    over = {n: (v, EXPOSURE_TARGETS[n]) for n, v in measured.items() if v > EXPOSURE_TARGETS[n]}
    assert not over, f"exposure above target (measured, target): {over}"


@needs_systemd
def test_sysusers_and_tmpfiles_make_the_kiosk_user_and_its_state_directory(tmp_path):
    (tmp_path / "etc").mkdir()
    subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(UNITS / "sysusers.d/palvelupiste.conf")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    passwd = (tmp_path / "etc/passwd").read_text()
    kiosk = next(line for line in passwd.splitlines() if line.startswith("kiosk:"))
    uid = int(kiosk.split(":")[2])
    assert kiosk.endswith(":/var/lib/kiosk:/usr/sbin/nologin")
    groups = (tmp_path / "etc/group").read_text()
    for group in ("video", "lp", "dialout", "scanner", "gpio", "input"):
        assert re.search(rf"^{group}:x:\d+:.*kiosk", groups, re.M), group
    subprocess.run(
        [
            "systemd-tmpfiles",
            f"--root={tmp_path}",
            "--create",
            str(UNITS / "tmpfiles.d/palvelupiste.conf"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    state = tmp_path / "var/lib/kiosk"
    assert state.stat().st_uid == uid and oct(state.stat().st_mode & 0o777) == "0o750"
    # logind starts the kiosk user's service manager at its own start (lingering).
    assert (tmp_path / "var/lib/systemd/linger/kiosk").is_file()


RULE = re.compile(r'^(?:[A-Z_]+(?:\{[\w.]+\})?\s*(?:==|!=|=|\+=|:=)\s*"[^"]*"\s*(?:,\s*|$))+$')


def test_udev_rules_cover_every_device_kind_and_parse():
    lines = [
        line.strip()
        for line in (UNITS / "udev/70-palvelupiste.rules").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in lines:
        assert RULE.match(line), f"not a udev rule: {line}"
    text = "\n".join(lines)
    for kind in ('"lp"', '"dialout"', '"scanner"', '"pcscd"', '"video"', '"gpio"'):
        assert kind in text


@pytest.mark.skipif(shutil.which("node") is None, reason="no JavaScript engine to parse with")
def test_polkit_rule_is_valid_javascript(tmp_path):
    # polkit rules are JavaScript; node parses them without running them.
    script = tmp_path / "rules.js"
    script.write_text((UNITS / "polkit/50-palvelupiste.rules").read_text())
    done = subprocess.run(
        ["node", "--check", str(script)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert '"kiosk-ui.service"' in script.read_text()


def test_first_boot_enrolment_command_is_one_kiosk_provision_accepts(tmp_path):
    """The unit's own command line, run here with this checkout's kiosk-provision (the
    booted image found it wrong once: --state-dir after the subcommand was refused)."""
    unit = (UNITS / "kiosk-firstboot.service").read_text()
    command = next(
        line.split("=", 1)[1].split() for line in unit.splitlines() if line.startswith("ExecStart=")
    )
    assert command[0] == "/opt/palvelupiste/venv/bin/kiosk-provision"
    args = [a.replace("/var/lib/kiosk", str(tmp_path / "state")) for a in command[1:]]
    args = [a for a in args if a not in ("--owner", "kiosk")]  # no such user here
    done = subprocess.run(
        [sys.executable, "-m", "provisioning.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # No enrolment file on this machine's boot partition: nothing to do, and no usage error.
    assert done.returncode == 0 and "no enrolment file" in done.stdout, done.stderr
    assert "--owner" in command  # the state directory goes to the kiosk user afterwards


RELAY = UNITS / "libexec/kiosk-ui-relay"


def _notify_socket(path: Path):
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(str(path))
    sock.settimeout(30)
    return sock


def _receive(sock) -> tuple[str, int]:
    """One message and the PID the kernel says sent it (what systemd checks)."""
    import socket
    import struct

    message, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = next(
        struct.unpack("iII", data)[0]
        for level, kind, data in ancillary
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS
    )
    return message.decode(), pid


def test_the_ui_relay_passes_the_uis_messages_on_as_its_own(tmp_path):
    """The UI's READY=1 and WATCHDOG=1 reach systemd's socket from the relay's PID (the
    unit's main process), not the UI's: systemd takes them from there (NotifyAccess=main),
    though the UI is in the login session's scope. What it says just before it exits
    arrives too (a CI run once lost the last message when the relay closed too early)."""
    sock = _notify_socket(tmp_path / "notify")
    ui = (
        "import os, socket\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "for m in [b'READY=1'] + [b'WATCHDOG=1'] * 20: s.sendto(m, os.environ['NOTIFY_SOCKET'])\n"
    )
    relay = subprocess.Popen(
        [sys.executable, str(RELAY), sys.executable, "-c", ui],
        env={"NOTIFY_SOCKET": str(tmp_path / "notify"), "RUNTIME_DIRECTORY": str(tmp_path)},
    )
    try:
        assert _receive(sock) == ("READY=1", relay.pid)
        for _ in range(20):
            assert _receive(sock) == ("WATCHDOG=1", relay.pid)
        assert relay.wait(timeout=30) == 0
    finally:
        relay.kill()
        sock.close()


def test_the_watchdogs_abort_kills_a_frozen_ui_with_the_relay(tmp_path):
    """systemd's watchdog sends SIGABRT to the main process only; cage and the UI are
    out of its reach in the session scope, so the relay kills them, stopped ones too."""
    import signal
    import time

    from devtools.waiting import wait_for

    pid_file = tmp_path / "ui.pid"
    ui = (
        "import os, signal, pathlib\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "os.kill(os.getpid(), signal.SIGSTOP)\n"  # frozen
    )
    relay = subprocess.Popen(
        [sys.executable, str(RELAY), sys.executable, "-c", ui],
        env={"RUNTIME_DIRECTORY": str(tmp_path)},
    )
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30)
        frozen = int(pid_file.read_text())
        time.sleep(0.2)
        relay.send_signal(signal.SIGABRT)
        assert relay.wait(timeout=30) == 134

        def gone() -> bool:
            try:  # reaped, or killed and waiting for init to reap it
                return Path(f"/proc/{frozen}/stat").read_text().split()[2] == "Z"
            except FileNotFoundError:
                return True

        assert wait_for(gone, 30), "the frozen UI is still there"
    finally:
        relay.kill()


def _ordered_after(unit: str) -> set[str]:
    """Every unit `unit` waits for, through the kiosk's own units' After= lines."""
    seen: set[str] = set()
    todo = [unit]
    while todo:
        path = UNITS / todo.pop()
        if not path.exists():
            continue  # a unit of the OS: its own order is systemd's business
        for line in path.read_text().splitlines():
            if line.startswith("After="):
                for name in line.split("=", 1)[1].split():
                    if name not in seen:
                        seen.add(name)
                        todo.append(name)
    return seen


def test_the_ui_never_waits_for_the_network():
    """An offline kiosk shows its screen: nothing the UI is ordered after waits for
    network-online.target (the first-boot unit did, and the UI waited for systemd to give
    up on a missing network: 30 s on the image; booted in tests/images/test_boot.py)."""
    assert "kiosk-firstboot.service" in _ordered_after("kiosk-ui.service")
    assert "network-online.target" not in _ordered_after("kiosk-ui.service")
    # The agent does wait for it, and the first boot's enrolment waits for it itself.
    assert "network-online.target" in _ordered_after("kiosk-agent.service")
    firstboot = (UNITS / "kiosk-firstboot.service").read_text()
    assert "ExecStartPre=+/usr/lib/systemd/systemd-networkd-wait-online" in firstboot


AFTER_CHECK = UNITS / "libexec/kiosk-ui-after-check"


def test_the_ui_starts_when_the_release_check_has_ended(tmp_path):
    """cage's child waits for the release check's mark, then runs the UI; with no mark
    by the limit it runs the current release anyway, saying so."""
    mark = tmp_path / "checked"
    ran = tmp_path / "ran"
    env = {"PATH": "/usr/bin:/bin", "KIOSK_RELEASE_CHECKED": str(mark)}
    waiting = subprocess.Popen(
        ["sh", str(AFTER_CHECK), "sh", "-c", f'echo "$0" > {ran}', "the UI"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert waiting.poll() is None and not ran.exists()  # still waiting for the check
        mark.touch()
        assert waiting.wait(timeout=30) == 0
        assert ran.read_text() == "the UI\n"
    finally:
        waiting.kill()
    mark.unlink()
    ran.unlink()
    late = subprocess.run(
        ["sh", str(AFTER_CHECK), "sh", "-c", f"touch {ran}"],
        env={**env, "KIOSK_RELEASE_CHECK_WAIT_S": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert late.returncode == 0 and ran.exists()
    assert "did not end in 1 s; starting the current release" in late.stderr
