"""A citizen books, changes and cancels a video appointment from home in headless
Chromium with JavaScript off (the pages need none), on a phone-sized screen; every page
passes axe-core's WCAG 2.1 AA checks; the mails arrive at a real SMTP server and their
iCalendar events parse with an independent RFC 5545 parser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.browser_checks import axe_violations

pytestmark = pytest.mark.slow  # a browser, two contexts, a dozen pages


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    """SQLite only: the browser checks the pages; what the databases do differently is tested
    over HTTP on both (tests/central/appointments/, tests/central/book/)."""
    return f"sqlite:///{tmp_path_factory.mktemp('central')}/central.db"


SCREENSHOTS = Path(__file__).parents[3] / "test-artifacts" / "book"
PHONE = {"width": 390, "height": 844}


def _mails_to(web, to: str) -> list:
    return [m for m in web.inbox.messages if m["To"] == to]


def _event(message):
    import icalendar

    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(part.get_content())
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) == 1
    return events[0]


def test_book_change_and_cancel_from_home_without_javascript(web, database_url):
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    from central.db.engine import session_scope
    from central.db.models import Booking, SlotClaim

    email = f"maija-{database_url[:6]}@example.fi"
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {}  # page -> its HTML as the citizen got it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        citizen = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fi-FI")
        page = citizen.new_page()
        page.set_default_timeout(15000)

        def shown(name: str) -> None:
            seen[name] = page.content()
            if kind == "sqlite":  # one set to look at
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

        page.goto(f"{web.central.base}/book/?lang=fi")
        assert page.locator("h1").inner_text() == "Varaa videoaika"
        assert "Järvenpää" in page.locator("#services").inner_text()
        shown("1-services")
        page.locator("#services a").first.click()
        page.get_by_label("Kotona omalla laitteella").check()
        page.get_by_role("button", name="Näytä vapaat ajat").click()
        # Tomorrow: a whole day of times at any hour the test runs (today's may be few).
        page.locator("[aria-labelledby=days-heading] a").nth(1).click()
        shown("2-times")
        page.locator("#times a").nth(2).click()
        chosen = page.locator("#chosen-time").inner_text()
        page.get_by_label("Nimi").fill("Maija Virtanen")
        page.get_by_label("Sähköpostiosoite").fill(email)
        page.get_by_label("Tarvitsen tulkin").select_option("ar")
        shown("3-details")
        page.locator("#submit").click()
        assert page.locator("#outcome").inner_text() == "Tarkista sähköpostisi"
        shown("4-check-mail")

        # The proof mail: its link confirms with a button (fetching it confirms nothing).
        proof = _mails_to(web, email)[-1]
        link = re.search(r"http\S+/book/c/\S+", proof.get_body().get_content()).group(0)
        with session_scope(web.central.app.state.sessions) as db:
            held = db.scalars(select(Booking).where(Booking.contact_email == email)).one()
            assert held.status == "held" and held.interpreter_language == "ar"
        page.goto(link)
        shown("5-confirm")
        with session_scope(web.central.app.state.sessions) as db:
            assert db.get(Booking, held.id).status == "held"
        page.locator("#submit").click()
        assert page.locator("#outcome").inner_text() == "Aika on varattu"
        assert page.locator("#booked-time").inner_text() == chosen
        code = page.locator("#booking-code").inner_text()
        shown("6-booked")
        booked_mail = _mails_to(web, email)[-1]
        body = booked_mail.get_body(("plain",)).get_content()
        assert code in body and "/visit/" in body and "/book/m/" in body
        event = _event(booked_mail)
        with session_scope(web.central.app.state.sessions) as db:
            booking = db.get(Booking, held.id)
            assert booking.status == "booked" and booking.channel == "web"
            assert event.decoded("DTSTART") == booking.starts_at
            assert event.decoded("DTEND") == booking.ends_at
        assert "Yleinen asumistuki" in str(event["SUMMARY"])
        assert str(event["STATUS"]) == "CONFIRMED"

        # Change the time: the new one is booked, then the old one let go.
        page.locator("#change").click()
        page.get_by_role("button", name="Näytä vapaat ajat").click()
        page.locator("[aria-labelledby=days-heading] a").nth(1).click()
        page.locator("#times a").nth(5).click()
        shown("7-change")
        page.locator("#submit").click()
        assert page.locator("#outcome").inner_text() == "Aika on varattu"
        new_code = page.locator("#booking-code").inner_text()
        assert new_code != code and page.locator("#booked-time").inner_text() != chosen
        with session_scope(web.central.app.state.sessions) as db:
            assert db.get(Booking, held.id).status == "cancelled"
            new = db.scalars(
                select(Booking).where(Booking.contact_email == email, Booking.status == "booked")
            ).one()
        assert _event(_mails_to(web, email)[-1]).decoded("DTSTART") == new.starts_at

        # Cancel, after being asked.
        page.locator("#cancel").click()
        shown("8-cancel")
        page.locator("#submit").click()
        assert page.locator("#outcome").inner_text() == "Varaus on peruttu"
        shown("9-cancelled")
        with session_scope(web.central.app.state.sessions) as db:
            assert db.get(Booking, new.id).status == "cancelled"
            assert (
                db.scalar(
                    select(func.count())
                    .select_from(SlotClaim)
                    .where(SlotClaim.booking_id == new.id)
                )
                == 0
            )
        cancelled = _event(_mails_to(web, email)[-1])
        assert str(cancelled["STATUS"]) == "CANCELLED"
        assert cancelled.decoded("DTSTART") == new.starts_at

        # Every page the citizen saw passes axe (a context with scripts, for axe itself).
        checker = browser.new_context(viewport=PHONE, bypass_csp=True)
        look = checker.new_page()
        for name, html in seen.items():
            look.goto(web.central.base + "/book/")  # the same origin, for its styles
            look.set_content(html)
            assert axe_violations(look) == [], name
        browser.close()
