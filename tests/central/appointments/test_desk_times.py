"""An official publishes their own appointment times and an absence on the desk page, in
headless Chromium against a real central, and deletes the calendar after confirming;
the desk passes axe-core's checks with the section open."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from devtools.appointment_world import free, serve
from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.builders import service_ids
from devtools.central_world import PASSWORD, make_org, ok
from tests.support.browser_checks import axe_violations

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    """SQLite only: the browser checks the desk; what the databases do differently is tested
    over HTTP on both (tests/central/appointments/, tests/central/book/)."""
    return f"sqlite:///{tmp_path_factory.mktemp('central')}/central.db"  # a browser


SERVICE = service_ids()[0]
SCREENSHOTS = Path(__file__).parents[3] / "test-artifacts" / "desk"


def test_an_official_publishes_their_own_times_on_the_desk(central, national):
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    from central.db.engine import session_scope
    from central.db.models import User

    org = make_org(central, national)
    official_id = serve(central, org.tokens["org_admin"], org.tokens["official"], [SERVICE])
    with session_scope(central.app.state.sessions) as db:
        email = db.get(User, official_id).email
    system = org.tokens["booking_system"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(bypass_csp=True, locale="en-GB").new_page()
            page.set_default_timeout(15000)
            page.goto(f"{central.base}/desk/?lang=en")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.click("#login button[type=submit]")
            page.wait_for_selector("#appointments-panel:not([hidden])")
            page.click("#my-times summary")
            for day in (5, 6):  # every day, whatever day the test runs
                page.check(f"#calendar-form input[name=day][value='{day}']")
            page.fill("#cal-start", "08:00")
            page.fill("#cal-end", "20:00")
            page.click("#calendar-form button[type=submit]")
            page.wait_for_selector("#my-calendars li")
            assert "General housing allowance: Mon 08:00–20:00" in page.inner_text("#my-calendars")
            assert axe_violations(page) == []
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "desk-my-times.png"), full_page=True)
            days = free(central, system, service_id=SERVICE, place="home")["days"]
            tomorrow = (date.today() + timedelta(days=1)).isoformat()
            assert tomorrow in days
            page.fill("#absence-from", tomorrow)
            page.fill("#absence-to", tomorrow)
            page.click("#absence-form button[type=submit]")
            page.wait_for_selector("#my-absences li")
            assert tomorrow not in free(central, system, service_id=SERVICE, place="home")["days"]
            page.on("dialog", lambda dialog: dialog.accept())
            page.click("#my-calendars li button")
            page.wait_for_selector("#my-calendars li", state="detached")
            listed = ok(central.request("GET", "/appointment-calendars", org.tokens["official"]))
            assert listed["items"] == []
        finally:
            browser.close()
