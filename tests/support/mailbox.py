"""A real SMTP server on loopback (aiosmtpd) for tests whose central sends mail."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest

from devtools.launcher import free_port


class Inbox:
    """aiosmtpd's handler: every message that arrives, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refusing = False  # a mail server that is down for the test's moment

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "451 Requested action aborted: local problem"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [m["Subject"].replace("\r\n", "") for m in self.messages]


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback (aiosmtpd) and what arrives at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()
