"""Central's own secret key: from CENTRAL_SECRET_KEY, or a 0600 file made on first start.

It keys booking codes (central/bookings/codes.py). Every worker and every server of
one deployment must use the same key: docs/security.md says how to set and
rotate it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from central.settings import Settings


def key_file(settings: Settings) -> Path:
    """Beside an SQLite database by default, so a test or demo database carries its own."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}.key")
    return Path("central.key")


def load_secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = key_file(settings)
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then linked: a worker never reads half a key.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:  # another worker made it first: use theirs
        pass
    finally:
        draft.unlink()
    return bytes.fromhex(path.read_text().strip())
