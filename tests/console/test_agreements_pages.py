"""Agreements in the console, in Chromium with axe-core: Kela's admin proposes to serve at
Järvenpää's sites, Järvenpää's admin accepts, both read the month's statement (page, CSV,
PDF), one ends it after confirming; another municipality sees none of it; the national
admin marks an interpretation service and keeps the expert directory. In fi, sv and en."""

from __future__ import annotations

import uuid

import pytest

from devtools.central_world import make_org, ok
from tests.console.conftest import ConsoleWorld, add_person, log_in, look

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kela(world: ConsoleWorld):
    org = make_org(world.central, world.national, with_kiosk=False, name="Kela")
    tag = uuid.uuid4().hex[:6]
    world.emails["admin_kela"] = add_person(
        world.central, f"admin-kela-{tag}@example.fi", "org_admin", org.id
    )
    world.emails["national"] = add_person(
        world.central, f"valtakunta-{tag}@example.fi", "national_admin", None
    )
    return org


def test_propose_accept_read_the_statement_and_end(console, world, kela):
    log_in(console, world, "admin_kela", "/console/agreements")
    look(console, "agreements-empty")
    console.check("#a-side-provider")
    console.select_option("#a-other", world.a.id)
    console.check("#a-lang-sv")
    console.select_option("#a-basis", "per_started_minute")
    console.fill("#a-amount", "1,50")
    console.click("form.bulk button[type=submit]")
    console.wait_for_url("**/console/agreements/*")
    agreement_id = console.url.rsplit("/", 1)[1]
    facts = console.inner_text("dl.facts")
    assert "Proposed" in facts and "1,50 € per started minute" in facts and "fi, sv" in facts
    # The proposer cannot accept its own proposal: no button for it.
    assert console.locator("button:text('Accept')").count() == 0
    look(console, "agreement-proposed")

    console.context.clear_cookies()
    log_in(console, world, "admin_a", "/console/agreements")
    assert "Kela → Järvenpää" in console.inner_text("main")
    look(console, "agreements-awaiting")
    console.click(f"a[href='/console/agreements/{agreement_id}']")
    console.fill("#accept-note", "Tervetuloa")
    console.click("button:text('Accept')")
    assert "in force" in console.inner_text("dl.facts")
    assert "Tervetuloa" in console.inner_text("table.history")

    # The running month's statement: a draft with no calls yet; CSV and PDF are there.
    console.click("form.filters button[type=submit]")
    console.wait_for_url("**/statements?month=*")
    assert "A draft" in console.inner_text("[role=status]")
    look(console, "statement")
    with console.expect_download() as pdf:
        console.click("a:text('PDF')")
    assert open(pdf.value.path(), "rb").read().startswith(b"%PDF-1.4")
    with console.expect_download() as csv:
        console.click("a:text('CSV')")
    assert open(csv.value.path(), encoding="utf-8").read().startswith("month,site,")

    # Ending needs the confirmation box; then it is ended, with the reason in the history.
    console.goto(f"{world.central.base}/console/agreements/{agreement_id}")
    console.fill("#end-note", "Kela moves to its own office")
    console.click("button:text('End the agreement')")
    assert "in force" in console.inner_text("dl.facts"), "ended without the confirmation"
    console.check("#end-confirm")
    console.click("button:text('End the agreement')")
    assert "Ended" in console.inner_text("dl.facts")
    assert "Kela moves to its own office" in console.inner_text("table.history")

    # Tuusula's admin sees nothing of it.
    console.context.clear_cookies()
    log_in(console, world, "admin_b", "/console/agreements")
    assert "Kela" not in console.inner_text("table.agreements")
    response = console.goto(f"{world.central.base}/console/agreements/{agreement_id}")
    assert response.status == 404
    statement = console.goto(
        f"{world.central.base}/console/agreements/{agreement_id}/statements?format=pdf"
    )
    assert statement.status == 404


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_national_admin_marks_interpreters_and_keeps_the_directory(
    console, world, kela, language
):
    log_in(console, world, "national", f"/console/agreements?lang={language}")
    look(console, f"agreements-national-{language}")
    if language != "en":
        return
    console.select_option("#i-org", world.b.id)
    console.check("#i-yes")
    console.click("#interp-form button[type=submit]")
    assert "Tuusula" in console.inner_text("#interp-heading + p + ul")
    orgs = ok(world.central.request("GET", "/organisations", world.national))["items"]
    assert next(o for o in orgs if o["id"] == world.b.id)["interpretation_service"] is True
    console.select_option("#d-org", kela.id)
    console.fill("#d-note", "Benefits")
    console.click("button:text('Add to the directory')")
    listed = ok(world.central.request("GET", "/expert-directory", world.national))["items"]
    assert [(e["name"], e["note"]) for e in listed] == [("Kela", "Benefits")]
    console.click("button:text('Remove Kela')")
    assert ok(world.central.request("GET", "/expert-directory", world.national))["items"] == []
    console.select_option("#i-org", world.b.id)
    console.check("#i-no")
    console.click("#interp-form button[type=submit]")
