"""Outgoing mail (alerts, invitations, appointment confirmations): one SMTP message with a timeout.

Without `mail_host` nothing can be sent: callers get OSError and decide
(alerts retry later; an invitation tells the admin).
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

from central.settings import Settings

SEND_TIMEOUT_S = 10


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    content: bytes
    params: dict[str, str] = field(default_factory=dict)


def send(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    attachments: Sequence[Attachment] = (),
) -> None:
    if not settings.mail_host:
        raise OSError("no mail server is set (CENTRAL_MAIL_HOST)")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    for item in attachments:
        message.add_attachment(
            item.content,
            maintype=item.maintype,
            subtype=item.subtype,
            filename=item.filename,
            params=item.params,
        )
    try:
        with smtplib.SMTP(settings.mail_host, settings.mail_port, timeout=SEND_TIMEOUT_S) as smtp:
            if settings.mail_starttls:
                smtp.starttls()
            if settings.mail_user:
                smtp.login(settings.mail_user, settings.mail_password)
            smtp.send_message(message)
    except smtplib.SMTPException as exc:
        raise OSError(f"the mail server refused: {exc}") from exc
