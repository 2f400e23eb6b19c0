"""Templates per language, and the one function pages answer with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from central.access.browser_session import csrf_token
from central.api.deps import secret_key_of
from central.console.i18n import LANGUAGES, translations

HELSINKI = ZoneInfo("Europe/Helsinki")
T = TypeVar("T")

TEMPLATES = Path(__file__).parent / "templates"
# Scripts and styles only from central; no inline script (htmx is configured by meta).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = lambda moment: local_time_shown(moment, translations(language))
    env.globals["urlencode"] = urlencode
    return env


def paged(rows: list[T], asked: str | None, size: int) -> tuple[list[T], int, int]:
    """(the rows of the page asked for, its number, how many pages); a wrong page number
    gives the nearest page."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, int(asked) if asked and asked.isdigit() else 1), pages)
    return rows[(page - 1) * size : page * size], page, pages


def local_time(moment: datetime | str) -> str:
    """Times as the municipality reads them: Finnish local time, to the second, with its
    zone's name (EET or EEST), from a datetime or the ISO text the API's answers carry."""
    local = _aware(moment).astimezone(HELSINKI)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or "")


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ago(moment: datetime | str, words: Any, now: datetime | None = None) -> str:
    """ "5 minutes ago" for the last day, where it helps more than the clock; "" beyond."""
    seconds = ((now or datetime.now(UTC)) - _aware(moment)).total_seconds()
    if seconds < 0 or seconds >= 86400:
        return ""
    if seconds < 60:
        return str(words.gettext("just now"))
    if seconds < 3600:
        minutes = int(seconds // 60)
        return str(words.ngettext("%(num)s minute ago", "%(num)s minutes ago", minutes)) % {
            "num": minutes
        }
    hours = int(seconds // 3600)
    return str(words.ngettext("%(num)s hour ago", "%(num)s hours ago", hours)) % {"num": hours}


def local_time_shown(moment: datetime | str | None, words: Any) -> Markup | str:
    """A time on a page: the local time and its zone in a <time> element (its exact UTC
    moment for machines and screen readers), and how long ago where it is recent."""
    if moment is None or moment == "":
        return ""
    since = ago(moment, words)
    return Markup('<time datetime="{iso}" title="Europe/Helsinki">{text}</time>{since}').format(
        iso=_aware(moment).astimezone(UTC).isoformat(),
        text=local_time(moment),
        since=Markup(' <span class="ago">({})</span>').format(since) if since else "",
    )


@dataclass
class PageContext:
    """What every page's frame needs: language, the viewer (if any) and their CSRF token."""

    language: str
    role: str | None = None
    email: str | None = None
    session_token: str | None = None
    nav: list[tuple[str, str]] = field(default_factory=list)

    def csrf(self, secret: bytes) -> str:
        return csrf_token(secret, self.session_token) if self.session_token else ""


def render(
    request: Request, page: PageContext, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    env = environment(page.language)
    frame = {
        "lang": page.language,
        "languages": LANGUAGES,
        "page": page,
        "csrf": page.csrf(secret_key_of(request)),
        "path": request.url.path,
        "query": request.url.query,
    }
    # A page's own values win over the frame's (a site page has its own "languages").
    html = env.get_template(template).render(frame | context)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY
    return response
