"""A kiosk's sound system without a sound card: PipeWire, WirePlumber and a simulated room.

The kiosk's speaker is a null sink (`room-speaker`); the "air" between it and the
microphone is a loopback from the speaker's monitor into a source (`room-mic`), with a
delay and some loss, as sound takes on its way across a kiosk's enclosure. On top of
that PipeWire loads the very echo-cancel drop-in a kiosk ships
(systemd/pipewire/palvelupiste-echo-cancel.conf), and WirePlumber links it all as it
would on a kiosk (the room's devices carry a hardware-like priority, so they are the
defaults). Clients reach it through PipeWire's PulseAudio server at `pulse_server`.

Everything runs from one folder (its own runtime directory, config and a private D-Bus
for WirePlumber); nothing of the machine's own sound set-up is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.processes import stop_all

REPO = Path(__file__).resolve().parents[1]
ECHO_CANCEL_CONF = REPO / "systemd" / "pipewire" / "palvelupiste-echo-cancel.conf"
INSTALL_HINT = "apt-get install pipewire pipewire-pulse wireplumber dbus (./run test does)"
NODES = ("room-speaker", "room-mic", "kiosk-echo-cancel-source", "kiosk-echo-cancel-sink")


class SoundRoomDidNotStart(RuntimeError):
    pass


def room_config(delay_s: float, air_gain: float) -> str:
    """PipeWire's config for the room: the daemon, PulseAudio server, speaker and air."""
    return f"""
context.properties = {{
    core.daemon = true
    core.name = pipewire-0
    support.dbus = false
    default.clock.rate = 48000
    default.clock.allowed-rates = [ 48000 ]
}}
context.spa-libs = {{
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}}
context.modules = [
    {{ name = libpipewire-module-protocol-native }}
    {{ name = libpipewire-module-metadata }}
    {{ name = libpipewire-module-spa-node-factory }}
    {{ name = libpipewire-module-client-node }}
    {{ name = libpipewire-module-access }}
    {{ name = libpipewire-module-adapter }}
    {{ name = libpipewire-module-link-factory }}
    {{ name = libpipewire-module-session-manager }}
    {{ name = libpipewire-module-loopback
      args = {{
        node.description = "room air"
        audio.position = [ MONO ]
        target.delay.sec = {delay_s}
        capture.props = {{
            node.name = room-air stream.capture.sink = true target.object = room-speaker
            node.passive = true channelmix.normalize = false
        }}
        playback.props = {{
            node.name = room-mic media.class = Audio/Source audio.position = [ MONO ]
            priority.session = 2000 channel.volumes = [ {air_gain} ]
        }}
      }}
    }}
    {{ name = libpipewire-module-protocol-pulse
      args = {{ server.address = [ "unix:native" ] }}
    }}
]
context.objects = [
    {{ factory = spa-node-factory
      args = {{
        factory.name = support.node.driver node.name = Dummy-Driver
        node.group = pipewire.dummy priority.driver = 20000
      }}
    }}
    {{ factory = adapter
      args = {{
        factory.name = support.null-audio-sink node.name = room-speaker
        node.description = "room speaker" media.class = Audio/Sink
        audio.position = [ MONO ] priority.session = 2000 object.linger = true
      }}
    }}
]
"""


@dataclass
class SoundRoom:
    folder: Path
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    @property
    def pulse_server(self) -> str:
        return f"unix:{self.folder / 'run' / 'pulse' / 'native'}"

    def env(self) -> dict[str, str]:
        """What a client process needs to find this room's sound server."""
        run = str(self.folder / "run")
        return {"PULSE_SERVER": self.pulse_server, "XDG_RUNTIME_DIR": run,
                "PIPEWIRE_RUNTIME_DIR": run}  # fmt: skip

    def links(self) -> str:
        return subprocess.run(
            ["pw-link", "--links"], env={**os.environ, **self.env()},
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout  # fmt: skip

    def stop(self) -> None:
        stop_all(self.processes)


def start_sound_room(folder: Path, delay_s: float = 0.01, air_gain: float = 0.5) -> SoundRoom:
    """Start PipeWire with the room and the kiosk's echo-cancel drop-in, and WirePlumber;
    returns once the echo-cancelled source is linked to the room's microphone."""
    for program in ("pipewire", "wireplumber", "dbus-run-session", "pw-link"):
        if shutil.which(program) is None:
            raise SoundRoomDidNotStart(f"{program} is missing: {INSTALL_HINT}")
    config = folder / "config"
    (config / "room.conf.d").mkdir(parents=True, exist_ok=True)
    (config / "room.conf").write_text(room_config(delay_s, air_gain))
    shutil.copy(ECHO_CANCEL_CONF, config / "room.conf.d" / ECHO_CANCEL_CONF.name)
    wireplumber = _wireplumber_config(folder / "wireplumber")
    run = folder / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    room = SoundRoom(folder)
    env = {**os.environ, **room.env(), "PIPEWIRE_CONFIG_DIR": str(config),
           "WIREPLUMBER_CONFIG_DIR": str(wireplumber)}  # fmt: skip
    log = (folder / "sound.log").open("ab")
    room.processes.append(
        subprocess.Popen(["pipewire", "-c", "room.conf"], env=env, stdout=log, stderr=log)
    )
    _wait(room, lambda: (run / "pulse" / "native").exists(), "PipeWire's PulseAudio server")
    room.processes.append(
        subprocess.Popen(["dbus-run-session", "--", "wireplumber"], env=env, stdout=log, stderr=log)
    )
    _wait(room, lambda: "kiosk-echo-cancel-capture" in room.links()
          and "room-mic" in room.links(), "WirePlumber linking the echo canceller")  # fmt: skip
    return room


def _wireplumber_config(folder: Path) -> Path:
    """Debian's WirePlumber config without D-Bus-only parts (no session bus here but the
    private one) and without Bluetooth."""
    system = Path("/usr/share/wireplumber")
    folder.mkdir(parents=True, exist_ok=True)
    for item in system.iterdir():
        target = folder / item.name
        if item.name != "wireplumber.conf" and not target.exists():
            target.symlink_to(item)
    text = (system / "wireplumber.conf").read_text()
    text = text.replace("#support.dbus  = true", "support.dbus = false")
    lines = [line for line in text.splitlines() if "bluetooth.lua" not in line]
    (folder / "wireplumber.conf").write_text("\n".join(lines) + "\n")
    return folder


def _wait(room: SoundRoom, ready: Any, what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in room.processes):
            room.stop()
            log = (room.folder / "sound.log").read_text(errors="replace")[-2000:]
            raise SoundRoomDidNotStart(f"{what}: a sound daemon stopped: {log}")
        if ready():
            return
        time.sleep(0.1)
    room.stop()
    raise SoundRoomDidNotStart(f"{what} not ready within {timeout_s:.0f} s")
