"""Secrets that travel in URLs, kept out of the access log.

An unused invitation link (`/console/invitation/<token>`) lets whoever reads it
set a new person's password, and multipart console forms carry their CSRF token
in the query (`?csrf=…`): the server's access log wrote both in full. The
filter here replaces them with `…` in every access-log line, whichever server
(uvicorn's logger) writes it.
"""

from __future__ import annotations

import logging
import re

SECRET_PATHS = re.compile(r"(/console/invitation/)[^/?#\s\"]+")
SECRET_PARAMS = re.compile(r"(?i)([?&](?:csrf|token|code)=)[^&#\s\"]+")
ACCESS_LOGGER = "uvicorn.access"


def scrub(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1…", SECRET_PATHS.sub(r"\1…", text))


class ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        return True


def install() -> None:
    """Idempotent: one filter on the access logger, however many apps a process makes."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, ScrubSecrets) for f in logger.filters):
        logger.addFilter(ScrubSecrets())
