from __future__ import annotations

import pytest

from devtools.builders import sample_catalogue
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok


@pytest.fixture(scope="module")
def central_site(tmp_path_factory):
    """A real central on SQLite over loopback, the sample catalogue at one site, one kiosk."""
    central = start_central(f"sqlite:///{tmp_path_factory.mktemp('c')}/central.db")
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(central, national)
    services = [s["id"] for s in sample_catalogue()["itemList"]]
    ok(
        central.request(
            "PUT",
            f"/sites/{org.site_id}/catalogue",
            org.tokens["org_admin"],
            json={"service_ids": services},
        )
    )
    yield central, org
    central.stop()
