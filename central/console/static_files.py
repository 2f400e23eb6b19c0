"""The console's static files: its stylesheet, the vendored htmx 2.0.4 and Chart.js 4.4.7."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from central.errors import not_found

STATIC = Path(__file__).parent / "static"
FILES = {
    "console.css": "text/css",
    "htmx.min.js": "text/javascript",
    "chart.umd.js": "text/javascript",  # Chart.js 4.4.7
    "charts.js": "text/javascript",
    "favicon.svg": "image/svg+xml",  # a kiosk on a stand, in the console's blue
}
router = APIRouter(include_in_schema=False)


@router.get("/console/static/{name}")
def static_file(name: str) -> Response:
    if name not in FILES:
        raise not_found("file")
    return FileResponse(STATIC / name, media_type=FILES[name])
