"""What both boot tests share: a real central on the host, with a site whose kiosks
show the sample catalogue (the guest reaches it only through QEMU's guestfwd). The site
is in Lisbon's zone, not the box's default (Helsinki): the booted box must take its
site's zone (kiosk/box_timezone.py), which booted.BOX_ZONE_UNIT shows on the serial console."""

from __future__ import annotations

import pytest

from devtools.builders import sample_catalogue
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from tests.images.booted import SITE_ZONE


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = start_central(f"sqlite:///{tmp_path_factory.mktemp('central')}/central.db")
    national = add_user(server, "national_admin", None)
    ok(server.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(server, national, with_kiosk=False, timezone=SITE_ZONE)
    services = [s["id"] for s in sample_catalogue()["itemList"]]
    ok(
        server.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": services},
        )
    )
    yield server, org
    server.stop()
