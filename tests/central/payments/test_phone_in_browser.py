"""The citizen's phone pays in headless Chromium with JavaScript off, on a phone-sized
screen: it opens the address of the kiosk's QR code (the Suomi.fi Payments stand-in's
hosted page), pays, and lands on central's return page, which says the payment was
received (axe-core: WCAG 2.1 AA); a payment cancelled on the phone says nothing was
charged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devtools.browser import CHROMIUM, CHROMIUM_FLAGS
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from devtools.payment_world import take_payments, wait_for_status
from devtools.paytrail_standin import Standin
from tests.support.browser_checks import axe_violations

pytestmark = pytest.mark.slow  # a browser

SCREENSHOTS = Path(__file__).parents[3] / "test-artifacts" / "pay"
PHONE = {"width": 390, "height": 844}


def test_the_phone_pays_and_comes_back_to_a_plain_page(tmp_path):
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed; ./run test installs it")
    from playwright.sync_api import sync_playwright

    standin = Standin().start()
    central = start_central(f"sqlite:///{tmp_path}/central.db", paytrail_url=standin.base)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        national = add_user(central, "national_admin", None)
        org = make_org(central, national, name="Järvenpää")
        take_payments(central, org)

        def opened() -> dict:
            body = {"purpose": "print", "pages": 3}
            return ok(central.request("POST", "/kiosk/payments", org.device_token, json=body), 201)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            phone = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fi-FI")
            page = phone.new_page()
            paid = opened()
            page.goto(paid["pay_url"])
            assert "1,50 €" in page.inner_text("body")
            page.click("button[value=ok]")
            page.wait_for_url(f"{central.base}/pay/return**")
            assert page.inner_text("#outcome") == "Maksu on vastaanotettu"
            assert page.inner_text("#amount") == "1,50 €"
            page.screenshot(path=str(SCREENSHOTS / "return-paid.png"), full_page=True)
            seen = {"paid": page.content()}
            assert wait_for_status(central, org, paid["id"], "paid")["status"] == "paid"

            cancelled = opened()
            page.goto(cancelled["pay_url"])
            page.click("button[value=fail]")
            page.wait_for_url(f"{central.base}/pay/return**")
            assert page.inner_text("#outcome") == "Maksu ei onnistunut"
            assert "Sinulta ei veloitettu mitään" in page.inner_text("main")
            page.screenshot(path=str(SCREENSHOTS / "return-failed.png"), full_page=True)
            seen["failed"] = page.content()
            assert wait_for_status(central, org, cancelled["id"], "failed")["status"] == "failed"
            # Both pages as the phone got them pass axe (a context with scripts, for axe).
            checker = browser.new_context(viewport=PHONE, bypass_csp=True)
            look = checker.new_page()
            for name, html in seen.items():
                look.goto(f"{central.base}/pay/return")  # the same origin
                look.set_content(html)
                assert axe_violations(look) == [], name
            browser.close()
    finally:
        central.stop()
        standin.stop()
