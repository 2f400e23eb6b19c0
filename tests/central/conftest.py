from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.builders import sample_catalogue
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import add_user, ok


@pytest.fixture(scope="module")
def central(database_url: str) -> Iterator[RunningCentral]:
    # The PTV stand-ins listen on loopback: an operator names such a private host.
    running = start_central(
        database_url, outbound_allowed_hosts="127.0.0.1", ptv_retry_pause_s=0.01
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def national(central: RunningCentral) -> str:
    """A national admin's token, with the sample catalogue imported."""
    token = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", token, json=sample_catalogue()))
    return token
