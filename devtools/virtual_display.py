"""An X display for the UI where there is no screen: the demo on a headless box,
the UI tests and the UI benchmark. Xvfb picks a free display number itself."""

from __future__ import annotations

import os
import subprocess


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
