"""The demo's stand-in for a phone's camera: takes a screenshot of the demo kiosk's
screen through the fleet API (as the municipality's admin would), reads the QR code on
it and prints the address to open in a browser. `python -m devtools.demo_phone`."""

from __future__ import annotations

import argparse
import sys
import time

import cv2
import numpy as np
import requests
import zxingcpp

from devtools.demo import ORG_ADMIN_EMAIL, PASSWORD


def screenshot(base: str) -> bytes:
    api = f"{base}/api/v1"
    http = requests.Session()
    http.trust_env = False
    login = http.post(
        f"{api}/auth/login", json={"email": ORG_ADMIN_EMAIL, "password": PASSWORD}, timeout=10
    )
    login.raise_for_status()
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    kiosk = http.get(f"{api}/kiosks", timeout=10).json()["items"][0]["id"]
    command = http.post(
        f"{api}/kiosks/{kiosk}/commands", json={"type": "screenshot"}, timeout=10
    ).json()
    for _ in range(60):  # the kiosk takes it at its next heartbeat
        status = http.get(f"{api}/kiosks/{kiosk}/commands/{command['id']}", timeout=10).json()
        if status["status"] == "succeeded":
            break
        time.sleep(1)
    else:
        raise SystemExit("the kiosk did not take a screenshot within a minute")
    return http.get(f"{api}/kiosks/{kiosk}/commands/{command['id']}/artifact", timeout=10).content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--central", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    picture = cv2.imdecode(np.frombuffer(screenshot(args.central), np.uint8), cv2.IMREAD_COLOR)
    found = [b.text for b in zxingcpp.read_barcodes(picture) if "/eid/" in b.text]
    if not found:
        print("no identification QR code on the kiosk's screen right now", file=sys.stderr)
        return 1
    print(f"open this in a browser (single use, two minutes): {found[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
