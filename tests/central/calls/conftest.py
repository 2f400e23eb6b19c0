"""Central with a real Janus and coturn for the call tests: the media servers, a central
whose kiosks and desks count as gone quickly, and a world of two officials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.builders import service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, enrol, make_org, ok, user_id
from devtools.media_servers import MediaServers, start_media_servers


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServers]:
    servers = start_media_servers(tmp_path_factory.mktemp("media"))
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def central(database_url: str, media: MediaServers) -> Iterator[RunningCentral]:
    settings = media.central_settings()
    running = start_central(
        database_url, call_kiosk_gone_after_s=2, desk_gone_after_s=3, **settings
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(central: RunningCentral, national: str):
    org = make_org(central, national)
    service = service_ids()[0]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": [service]}
        )
    )
    admin = org.tokens["org_admin"]
    officials = {}
    for name in ("anna", "bert"):
        token = add_user(central, "official", org.id)
        me = {"id": user_id(central, token)}
        officials[name] = (me["id"], token)
        ok(
            central.request(
                "PUT",
                f"/officials/{me['id']}",
                admin,
                json={"services": [service], "languages": ["fi", "sv"]},
            )
        )
    second_kiosk = enrol(central, org.tokens["technician"], org.site_id)
    other = make_org(central, national)
    other_official = add_user(central, "official", other.id)
    return {
        "org": org,
        "service": service,
        "officials": officials,
        "kiosk2": second_kiosk,
        "other_official": other_official,
    }
