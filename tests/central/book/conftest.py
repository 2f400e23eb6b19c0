"""A central that mails (aiosmtpd on loopback) with one organisation whose official has
an open calendar for a service its site offers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devtools.appointment_world import open_calendar
from devtools.builders import sample_catalogue, service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import Org, add_user, make_org, ok
from tests.support.mailbox import Inbox

SERVICE = service_ids()[0]


@dataclass
class BookWorld:
    central: RunningCentral
    org: Org
    inbox: Inbox
    calendar: dict


@pytest.fixture(scope="module")
def web(database_url: str, mail: tuple[Inbox, int]) -> Iterator[BookWorld]:
    inbox, port = mail
    central = start_central(
        database_url, mail_host="127.0.0.1", mail_port=port, mail_starttls=False
    )
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(central, national, name="Järvenpää")
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", national, json={"service_ids": [SERVICE]}
        )
    )
    calendar = open_calendar(central, org.tokens["org_admin"], org.tokens["official"], SERVICE)
    yield BookWorld(central, org, inbox, calendar)
    central.stop()
