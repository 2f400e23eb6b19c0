"""Central serves the release repository: TUF metadata and bundles, to anyone.

Nothing here is secret (the software is open source); what protects a kiosk is the
signatures it checks. Bundles are served with byte ranges, so a kiosk resumes a broken
download. Names are plain file names, nothing else: no path reaches outside the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from central.api.deps import settings_of
from central.errors import ApiError, not_found

router = APIRouter(include_in_schema=False)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def _file(request: Request, part: str, name: str) -> Path:
    folder = settings_of(request).update_repository
    if not folder:
        raise ApiError(404, "not_found", "This central serves no updates.")
    if not NAME.match(name):
        raise not_found("file")
    path = Path(folder) / part / name
    if not path.is_file():
        raise not_found("file")
    return path


@router.get("/updates/metadata/{name}")
def metadata(name: str, request: Request) -> Response:
    # Never cached: the timestamp must be fresh each time it is asked for.
    return FileResponse(
        _file(request, "metadata", name),
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


@router.get("/updates/targets/{name}")
def target(name: str, request: Request) -> Response:
    return FileResponse(_file(request, "targets", name), media_type="application/octet-stream")
