"""The demo's mail server: aiosmtpd on loopback keeping every message central sends
(invitations, alerts, appointment confirmations) as a file, and saying in the demo's
terminal who got what, with the message's links, so nobody needs a real mailbox."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from devtools.launcher import free_port

LINK = re.compile(r"https?://\S+")


class MailCatcher:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.eml"):
            old.unlink()
        self.port = free_port()
        self.count = 0
        self._controller: Any = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        path = self.folder / f"{self.count:04d}.eml"
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        links = LINK.findall(body.get_content() if body is not None else "")
        print(
            f"demo mail to {message['To']}: {message['Subject']} ({path})"
            + "".join(f"\n  {link}" for link in links),
            flush=True,
        )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def central_env(self) -> dict[str, str]:
        return {
            "CENTRAL_MAIL_HOST": "127.0.0.1",
            "CENTRAL_MAIL_PORT": str(self.port),
            "CENTRAL_MAIL_STARTTLS": "false",
            "CENTRAL_MAIL_FROM": "palvelupiste@demo.palvelupiste.fi",
        }
