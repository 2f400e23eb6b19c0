"""Sites in the console: edit details, languages, opening hours and settings with a diff
before saving, and see the kiosk's configuration change; refused input saves nothing;
the catalogue's selection and order; an enrolment token's printed QR code read by
`kiosk-provision`'s own reader, then used to enrol."""

from __future__ import annotations

import uuid

import pytest

from central.db.engine import session_scope
from central.db.models import SiteService
from devtools.builders import sample_catalogue
from devtools.central_world import ok
from provisioning.token_qr import read_ticket_from_image
from tests.console.conftest import SCREENSHOTS, ConsoleWorld, log_in, look, signed_in_as

pytestmark = pytest.mark.slow


def kiosk_config(world: ConsoleWorld) -> dict:
    return ok(world.central.request("GET", "/kiosk/config", world.a.device_token))


def test_edit_a_site_review_the_diff_and_the_kiosk_gets_it(console, world):
    before = kiosk_config(world)
    log_in(console, world, "admin_a", f"/console/sites/{world.a.site_id}")
    look(console, "site")
    console.uncheck("input[name=lang_en]")
    console.select_option("#s-default", "sv")
    console.fill("#h-mon", "08:00-16:00")
    console.fill("#h-sat", "10:00-14:00")
    console.fill("#s-exceptions", "2026-12-24 closed Christmas Eve")
    # Typed fields (issue 33), not JSON: seconds, a colour, a time zone from a list.
    console.fill("#set-idle_timeout_s", "90")
    console.fill("#set-accent_colour", "#0a4f8f")
    console.fill("#device-camera", "v4l2:0")
    console.select_option("#s-tz", "Europe/Stockholm")
    console.fill("#s-address", "Kauppakaari 1, Järvenpää")
    console.click("#preview")
    # The review says what changes, setting by setting, in words: no JSON diff.
    changes = {
        r.split("\t")[0]: r.split("\t")[1:]
        for r in console.locator("table.changes tbody tr").all_inner_texts()
    }
    assert changes["Seconds without a touch before the kiosk asks"] == ["–", "90"]
    assert changes["Default language"][1] == "sv"
    assert changes["Time zone"] == ["Europe/Helsinki", "Europe/Stockholm"]
    assert changes["Devices"][1] == "v4l2:0"
    assert changes["Saturday"][0] == "–" and "10:00" in changes["Saturday"][1]
    assert "Kauppakaari 1" in console.inner_text("main")
    assert console.locator("pre.diff").count() == 0
    look(console, "site-preview")
    # Reviewing saved nothing yet.
    assert kiosk_config(world)["version"] == before["version"]
    console.click("#save")
    assert "Saved." in console.inner_text(".notice")
    after = kiosk_config(world)
    assert after["version"] == before["version"] + 1
    assert after["languages"] == ["fi", "sv"] and after["default_language"] == "sv"
    assert after["idle_timeout_s"] == 90 and after["accent_colour"] == "#0a4f8f"
    assert after["site_timezone"] == "Europe/Stockholm"
    assert after["devices"]["camera"] == "v4l2:0"
    assert after["opening_hours"] == {"mon": [["08:00", "16:00"]], "sat": [["10:00", "14:00"]]}
    assert after["opening_exceptions"] == [
        {"date": "2026-12-24", "closed": True, "note": "Christmas Eve"}
    ]


def test_wrong_settings_are_explained_and_nothing_is_saved(console, world):
    version = kiosk_config(world)["version"]
    log_in(console, world, "admin_a", f"/console/sites/{world.a.site_id}")
    console.fill("#h-tue", "16:00-08:00")
    console.fill("#set-idle_timeout_s", "")  # left to the JSON below, which is wrong
    console.fill("#s-advanced", '{"idle_timeout_s": 2, "colour": "red"}')
    console.click("#preview")
    problems = console.inner_text("[role=alert]")
    assert "closes before it opens" in problems
    assert "'idle_timeout_s' must be between 15 and 3600." in problems
    assert "'colour' is not a setting kiosks know." in problems
    # What was typed is still in the form, to fix.
    assert console.input_value("#h-tue") == "16:00-08:00"
    look(console, "site-problems")
    assert kiosk_config(world)["version"] == version


def test_the_catalogue_selection_and_its_order(console, world):
    ok(world.central.request("POST", "/catalogue/import", world.national, json=sample_catalogue()))
    ids = [item["id"] for item in sample_catalogue()["itemList"]][:3]
    log_in(console, world, "admin_a", f"/console/sites/{world.a.site_id}")
    console.fill(f"input[name='pos_{ids[2]}']", "1")
    console.fill(f"input[name='pos_{ids[0]}']", "2")
    console.click("#save-catalogue")
    assert "Saved." in console.inner_text(".notice")
    with session_scope(world.central.app.state.sessions) as db:
        rows = db.query(SiteService).filter(SiteService.site_id == world.a.site_id).all()
        shown = [r.service_id for r in sorted(rows, key=lambda r: r.position)]
    assert shown == [ids[2], ids[0]]
    # The page lists the shown ones first, in their order.
    first = console.locator("input.position").first
    assert first.get_attribute("name") == f"pos_{ids[2]}" and first.input_value() == "1"


def test_a_printed_enrolment_token_is_read_and_enrols_a_kiosk(console, world):
    log_in(console, world, "technician_a", f"/console/sites/{world.a.site_id}")
    console.click("#new-token")
    token = console.inner_text("#token")
    look(console, "enrolment-token")
    photo = SCREENSHOTS / "enrolment-qr.png"
    console.locator("figure.token-qr svg").screenshot(path=str(photo))
    ticket = read_ticket_from_image(photo)
    assert ticket.token == token and ticket.central == world.central.base
    enrolled = ok(
        world.central.request(
            "POST",
            "/enroll",
            json={
                "token": ticket.token,
                "hardware_id": f"hw-{uuid.uuid4().hex}",
                "hostname": "kiosk-2",
                "software_version": "0.1.0",
            },
        ),
        201,
    )
    assert enrolled["kiosk_id"]
    # Single use.
    again = world.central.request(
        "POST",
        "/enroll",
        json={
            "token": ticket.token,
            "hardware_id": f"hw-{uuid.uuid4().hex}",
            "hostname": "kiosk-3",
            "software_version": "0.1.0",
        },
    )
    assert again.status_code in (401, 403, 409, 410)


def test_sites_of_another_municipality_stay_hidden(console, world):
    log_in(console, world, "admin_b", "/console/sites")
    assert "Järvenpää" not in console.inner_text("main")
    look(console, "sites")
    console.goto(f"{world.central.base}/console/sites/{world.a.site_id}")
    assert "Something went wrong" in console.inner_text("h1")


def test_unused_enrolment_tokens_are_listed_and_revoked(console, world):
    """Issue 33: a token printed by mistake or lost can be made useless before anyone
    enrols a kiosk with it; another municipality's admin cannot touch it."""
    made = ok(
        world.central.request(
            "POST",
            f"/sites/{world.a.site_id}/enrollment-tokens",
            world.a.tokens["org_admin"],
            json={},
        ),
        201,
    )
    log_in(console, world, "admin_a", f"/console/sites/{world.a.site_id}")
    rows = console.locator("table.tokens tbody tr")
    before = rows.count()
    assert before >= 1 and "None:" not in rows.first.inner_text()
    look(console, "site-tokens")

    # Another municipality's admin, signed in, cannot revoke it.
    form = console.locator("table.tokens form").first.get_attribute("action")
    with signed_in_as(console, world, "admin_b", "/console/sites") as other:
        assert other.post(form).status in (403, 404)
    console.reload()
    assert console.locator("table.tokens tbody tr").count() == before

    # Revoked, one by one: the list empties and the token no longer enrols anything.
    while "None:" not in console.locator("table.tokens tbody tr").first.inner_text():
        console.locator("table.tokens button.danger").first.click()
        assert "no longer works" in console.inner_text(".notice")
    body = {"token": made["token"], "hardware_id": f"hw-{uuid.uuid4().hex}", "hostname": "x"}
    assert world.central.request("POST", "/enroll", json=body).status_code == 410
