"""`kiosk-ui`: start the citizen UI; `kiosk-ui pin-config PIN` makes the technician PIN setting.

Kivy reads its settings when first imported, so the window is configured here
before anything imports Kivy.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import secrets
import socket
import sys
from pathlib import Path

from kiosk.memory import limit_malloc_arenas
from kiosk.store import default_path
from kiosk.ui import kivy_data


def wake_x_server(display: str | None, sockets: Path = Path("/tmp/.X11-unix")) -> bool:
    """Knock on the X server before Kivy's imports. On the kiosk, cage starts Xwayland only
    when its first X client connects; Kivy connects after a second or more of imports, and
    then waits for Xwayland to start (seconds under emulation). A connection now starts
    it meanwhile. Nothing is sent; True if something answered."""
    if not display or not display.startswith(":"):
        return False
    path = str(sockets / f"X{display[1:].split('.')[0]}")
    for address in ("\0" + path, path):  # Linux's abstract socket first, then the file
        knock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        knock.settimeout(0.5)
        try:
            knock.connect(address)
            return True
        except OSError:
            continue
        finally:
            knock.close()
    return False


def configure_kivy(state_dir: Path, size: tuple[int, int], fullscreen: bool) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    home = state_dir / "kivy"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(home))
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    data_dir = kivy_data.prepare(home)
    if data_dir is not None:
        os.environ.setdefault("KIVY_DATA_DIR", str(data_dir))
    # On X11 (the unit runs the UI on cage's Xwayland), SDL's GLX set-up makes and
    # drops a whole GL context only to list extensions: about 0.1 s with Mesa's
    # software renderer. Its EGL set-up does not.
    os.environ.setdefault("SDL_VIDEO_X11_FORCE_EGL", "1")
    # Without a GPU, Mesa's llvmpipe compiles its shaders with LLVM when the first
    # frame is drawn. Interpreted vertex processing (a UI has few vertices) and
    # 128-bit vectors (what an ARM board has anyway) make that compile about 0.1 s
    # shorter. A GPU driver ignores both.
    os.environ.setdefault("DRAW_USE_LLVM", "0")
    os.environ.setdefault("LP_NATIVE_VECTOR_WIDTH", "128")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")  # our own keyboard widget, never Kivy's
    Config.set("input", "mouse", "mouse,disable_multitouch")  # no multi-finger emulation
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")


def main(argv: list[str] | None = None) -> int:
    # Start-up makes many objects and no garbage: collecting during it costs about
    # 40 ms for nothing. The app turns the collector back on after the first frame.
    gc.disable()
    limit_malloc_arenas()  # before any thread: video calls would fragment memory for months
    parser = argparse.ArgumentParser(prog="kiosk-ui", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the UI (the default)")
    run.add_argument("--state-dir", type=Path, default=default_path().parent)
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    run.add_argument("--size", default="1280x800", help="window size, WIDTHxHEIGHT")
    run.add_argument("--devices", help='JSON device specs, e.g. {"printer": "sim"}')
    run.add_argument("--speech-to", type=Path, help="write speech to WAV files in this directory")
    run.add_argument(
        "--scratch-dir", type=Path, help="citizens' session files (default STATE_DIR/scratch)"
    )
    pin = sub.add_parser("pin-config", help="print the technician_pin config value for a PIN")
    pin.add_argument("pin")
    args = parser.parse_args(argv if argv is not None else (sys.argv[1:] or ["run"]))
    if args.command == "pin-config":
        from kiosk.ui.pin_lock import pin_config

        print(json.dumps({"technician_pin": pin_config(args.pin, secrets.token_hex(16))}))
        return 0
    if args.command is None:
        args = parser.parse_args(["run"])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        devices = json.loads(args.devices) if args.devices else None
    except ValueError as exc:
        parser.error(f"bad --size or --devices: {exc}")
    wake_x_server(os.environ.get("DISPLAY"))
    configure_kivy(args.state_dir, (width, height), not args.windowed)
    from kiosk.ui.app import KioskApp
    from kiosk.ui.settings import UiSettings

    settings = UiSettings(
        state_dir=args.state_dir,
        fullscreen=not args.windowed,
        speech_wav_dir=args.speech_to,
        devices=devices,
        scratch_dir=args.scratch_dir,
    )
    KioskApp(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
