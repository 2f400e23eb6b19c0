"""Serves the desk page, its ES modules and its style sheet."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from central.api.deps import settings_of
from central.calls.media_pool import servers_of
from central.desk.strings import LANGUAGES, pick_language, strings_for

HERE = Path(__file__).parent
# The page's ES modules (desk.js imports the others) and its style sheet.
MODULES = ("desk.js", "api.js", "janus.js", "call_media.js", "live_text.js")
STATIC = {**dict.fromkeys(MODULES, "text/javascript"), "desk.css": "text/css"}
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
router = APIRouter(include_in_schema=False)


def content_security_policy(janus_urls: list[str]) -> str:
    """Scripts and styles only from central; the page talks to central and Janus only
    (`janus_urls`: the pool's servers, when participants reach them directly)."""
    janus = "".join(
        f" {parts.scheme}://{parts.netloc}" for parts in (urlsplit(u) for u in janus_urls if u)
    )
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        f"media-src 'self' blob:; connect-src 'self'{janus}; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


@router.get("/desk/", response_class=HTMLResponse)
def desk_page(
    request: Request, lang: str | None = Query(default=None, max_length=5)
) -> HTMLResponse:
    language = pick_language(lang, request.headers.get("accept-language", ""))
    words = strings_for(language)
    html = templates.get_template("desk.html").render(
        lang=language,
        languages=LANGUAGES,
        t=words,
        words_json=json.dumps(words),
    )
    settings = settings_of(request)
    return HTMLResponse(
        html,
        headers={
            # Through central's relay, Janus is this origin; without it, Janus's own.
            "content-security-policy": content_security_policy(
                [] if settings.janus_relay else [s.url for s in servers_of(settings)]
            )
        },
    )


@router.get("/desk")
def desk_without_slash() -> HTMLResponse:
    return HTMLResponse("", status_code=308, headers={"location": "/desk/"})


@router.get("/desk/static/{name}")
def desk_static(name: str) -> FileResponse:
    if name not in STATIC:
        return HTMLResponse("Not found", status_code=404)  # type: ignore[return-value]
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])
