"""The console in real headless Chromium (Debian's, through Playwright) against a real central."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from central.db.engine import session_scope
from central.db.models import User
from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.central_server import RunningCentral, start_central
from devtools.central_world import PASSWORD, TEST_PASSWORD_HASH, Org, add_user, make_org
from tests.support.browser_checks import axe_violations
from tests.support.mailbox import Inbox

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


def look(page: Any, name: str) -> None:
    """A full-page screenshot to look at, and axe-core's verdict on the page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    found = axe_violations(page)
    assert found == [], json.dumps(found, indent=1)
