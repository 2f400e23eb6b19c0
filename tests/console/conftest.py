"""The console in real headless Chromium (Debian's, through Playwright) against a real central."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from central.db.engine import session_scope
from central.db.models import User
from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import PASSWORD, TEST_PASSWORD_HASH, Org, add_user, make_org
from devtools.launcher import free_port

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "console"


@dataclass
class ConsoleWorld:
    central: RunningCentral
    national: str
    a: Org
    b: Org
    emails: dict[str, str]


def add_person(central: RunningCentral, email: str, role: str, org_id: str | None) -> str:
    with session_scope(central.app.state.sessions) as db:
        db.add(User(email=email, password_hash=TEST_PASSWORD_HASH, role=role, org_id=org_id))
    return email


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


@pytest.fixture(scope="module")
def world(database_url: str, mail: tuple[Inbox, int]) -> Iterator[ConsoleWorld]:
    # Offline after max(3 × the site's 1 s heartbeat interval, 2 s): seconds, not minutes.
    central = start_central(
        database_url,
        offline_after_s=2,
        mail_host="127.0.0.1",
        mail_port=mail[1],
        mail_starttls=False,
        outbound_allowed_hosts="127.0.0.1",  # the tests' PTV file server
    )
    national = add_user(central, "national_admin", None)
    a = make_org(central, national, name="Järvenpää")
    b = make_org(central, national, name="Tuusula")
    tag = re.sub(r"\W", "", database_url)[-6:]
    emails = {
        "admin_a": add_person(central, f"admin-a-{tag}@example.fi", "org_admin", a.id),
        "admin_b": add_person(central, f"admin-b-{tag}@example.fi", "org_admin", b.id),
        "technician_a": add_person(central, f"tech-a-{tag}@example.fi", "technician", a.id),
    }
    yield ConsoleWorld(central, national, a, b, emails)
    central.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def console(browser: Any) -> Iterator[Any]:
    # CSP is bypassed only so the test can inject axe-core; the pages' own CSP is tested
    # over HTTP (test_console.py).
    context = browser.new_context(
        bypass_csp=True, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def log_in(page: Any, world: ConsoleWorld, who: str, next_path: str = "/console/fleet") -> None:
    page.goto(f"{world.central.base}{next_path}")
    page.fill("#email", world.emails[who])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path.split("?")[0])))


class Attacker:
    """Another person signed in in a browser of their own, posting a console form as
    their own session would (with its CSRF token: a refusal is then about who they are,
    not a missing token)."""

    def __init__(self, page: Any, world: ConsoleWorld) -> None:
        self.page, self.world = page, world
        self.csrf = page.eval_on_selector("input[name=csrf]", "i => i.value")

    def post(self, path: str, **form: str) -> Any:
        answer = self.page.request.post(
            f"{self.world.central.base}{path}", form={"csrf": self.csrf, **form}
        )
        assert "csrf_failed" not in answer.text()
        return answer


@contextmanager
def signed_in_as(
    console: Any, world: ConsoleWorld, who: str, path: str = "/console/fleet"
) -> Iterator[Attacker]:
    context = console.context.browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, world, who, path)
        yield Attacker(page, world)
    finally:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as shown."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def look(page: Any, name: str) -> None:
    """A full-page screenshot to look at, and axe-core's verdict on the page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    found = axe_violations(page)
    assert found == [], json.dumps(found, indent=1)
