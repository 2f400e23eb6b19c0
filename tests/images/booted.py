"""What the boot tests share: the image (given or built), a kiosk's disk made from it
as a technician makes one, and central's view of the booted kiosk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from devtools import disk_image
from devtools.central_world import ok
from devtools.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
CENTRAL_IN_GUEST = "10.0.2.100:8000"  # guestfwd to the host's central
DISK_SIZE = 8 * 2**30  # a kiosk's disk bigger than the image: the state partition grows
ATTRACT_WORDS = ("Tervetuloa", "Välkommen", "Welcome")  # the attract screen's languages
FIRST_FRAME = "first frame drawn: attract screen"  # the UI's line, on the serial console
SITE_ZONE = "Europe/Lisbon"
# What the box's zone is in winter and summer (UTC; Helsinki's would be EET or EEST).
SITE_ZONE_SHOWN = ("box zone: WET+0000", "box zone: WEST+0100")
# Every 5 s, the zone a newly started program sees, to the journal (which the image
# forwards to the serial console): a box has no login to ask it on.
BOX_ZONE_UNIT = """[Unit]
Description=Test: the zone the box's programs see
[Service]
ExecStart=/bin/sh -c 'while :; do echo "box zone: $$(date +%%Z%%z)"; sleep 5; done'
"""
IMAGE_NAMES = {"amd64": "palvelupiste-x86-64.img", "arm64": "palvelupiste-arm64.img"}


def built_image(tmp_path_factory, arch: str, given: str | None) -> Path:
    """The image ./run image-test built (`given`), else one built now with images/disk.sh."""
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp(f"disk-{arch}")
    done = subprocess.run(
        ["bash", str(REPO / "images/disk.sh"), "--arch", arch, str(out)],
        capture_output=True,
        text=True,
        timeout=7200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / IMAGE_NAMES[arch]


def kiosk_disk(image: Path, central, directory: Path, software_gl: bool) -> Path:
    """This kiosk's disk: the image written to a bigger disk, the enrolment file put on its
    boot partition as a technician does. `software_gl`: Mesa's llvmpipe JIT crashes under
    QEMU's TCG, so software GL without a JIT (softpipe) for the UI in emulation."""
    server, org = central
    copy = directory / "disk.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(copy)], check=True, timeout=600)
    os.truncate(copy, DISK_SIZE)
    made = server.request(
        "POST", f"/sites/{org.site_id}/enrollment-tokens", org.tokens["technician"], json={}
    )
    ticket = directory / "palvelupiste-enrol.json"
    ticket.write_text(
        json.dumps(
            {
                "central": f"http://{CENTRAL_IN_GUEST}",
                "token": ok(made, 201)["token"],
                "insecure": True,  # plain http on QEMU's closed network
            }
        )
    )
    disk_image.put_on_boot_partition(copy, ticket, "palvelupiste-enrol.json")
    disk_image.add_unit(copy, "test-box-zone.service", BOX_ZONE_UNIT)
    if software_gl:
        disk_image.add_boot_options(copy, "systemd.setenv=GALLIUM_DRIVER=softpipe")
    return copy


def kiosk_at_central(central, until, timeout_s: float) -> dict:
    server, org = central
    found: list[dict] = []

    def seen() -> bool:
        listed = ok(server.request("GET", "/kiosks", org.tokens["org_admin"]))["items"]
        for item in listed:
            kiosk = ok(server.request("GET", f"/kiosks/{item['id']}", org.tokens["org_admin"]))
            if until(kiosk):
                found.append(kiosk)
                return True
        time.sleep(1)  # a few requests a second, not hundreds
        return False

    assert wait_for(seen, timeout_s), "no kiosk at central as expected"
    return found[0]


def run_command(central, kiosk_id: str, type_: str, timeout_s: float) -> dict:
    server, org = central
    token = org.tokens["org_admin"]
    made = ok(
        server.request("POST", f"/kiosks/{kiosk_id}/commands", token, json={"type": type_}), 201
    )
    states: list[dict] = []

    def done() -> bool:
        states.append(ok(server.request("GET", f"/kiosks/{kiosk_id}/commands/{made['id']}", token)))
        time.sleep(1)
        return states[-1]["status"] in ("succeeded", "failed")

    assert wait_for(done, timeout_s), f"{type_} not done: {states[-1]}"
    return states[-1]


def keep_to_look_at(png: Path) -> Path:
    """A screenshot of a booted image, kept in the ignored test-artifacts/images/ (a
    tracked copy left every developer's tree changed after `./run image-test`)."""
    folder = REPO / "test-artifacts" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(png, folder / png.name))


def words_on(png: Path) -> str:
    """The screen's text by OCR (tesseract, the attract screen's three languages)."""
    done = subprocess.run(
        ["tesseract", str(png), "-", "-l", "fin+swe+eng"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
