"""An X display for the UI where there is no screen: the demo on a headless box,
the UI tests and the UI benchmark. Xvfb picks a free display number itself."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator


def start_virtual_display(size: str = "1280x800x24") -> tuple[subprocess.Popen[bytes], str]:
    """(the Xvfb process, its DISPLAY value); stop it with terminate()."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    try:
        while not number.endswith(b"\n"):
            chunk = os.read(read, 16)
            if not chunk:
                raise RuntimeError("Xvfb did not start (is the xvfb package installed?)")
            number += chunk
    finally:
        os.close(read)
    return xvfb, f":{number.decode().strip()}"


@contextlib.contextmanager
def kivy_display() -> Iterator[str]:
    """An Xvfb for the whole block, with the environment Kivy's tests run in (DISPLAY set,
    no command-line parsing, Python logging); the environment is put back after. Its
    screen is square enough for a landscape window and a portrait 1080×1920 one."""
    xvfb, number = start_virtual_display("1920x1920x24")
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "KIVY_NO_ARGS", "KIVY_LOG_MODE")}
    os.environ.update(DISPLAY=number, KIVY_NO_ARGS="1", KIVY_LOG_MODE="PYTHON")
    try:
        yield number
    finally:
        xvfb.terminate()
        xvfb.wait(10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
