"""What both boot tests share: a real central on the host, with a site whose kiosks
show the sample catalogue (the guest reaches it only through QEMU's guestfwd)."""

from __future__ import annotations

import pytest

from devtools.builders import sample_catalogue
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = start_central(f"sqlite:///{tmp_path_factory.mktemp('central')}/central.db")
    national = add_user(server, "national_admin", None)
    ok(server.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(server, national, with_kiosk=False)
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
