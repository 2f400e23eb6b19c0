"""A central that mails (aiosmtpd on loopback) with one organisation whose official has
an open calendar for a service its site offers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devtools.appointment_world import municipality_with_times
from devtools.builders import service_ids
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import Org
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
    org, calendar = municipality_with_times(central, SERVICE)
    yield BookWorld(central, org, inbox, calendar)
    central.stop()
