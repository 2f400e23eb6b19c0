"""The catalogue in the console: an import from a PTV file and from an address, reviewed
(new, changed, withdrawn, refused) before anything changes, then applied; the services as
a site's kiosks show them."""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from central.db.engine import session_scope
from central.db.models import Service
from devtools.builders import sample_catalogue
from devtools.central_world import ok
from tests.console.conftest import SCREENSHOTS, ConsoleWorld, add_person, log_in, look

pytestmark = pytest.mark.slow


def count_services(world: ConsoleWorld) -> int:
    with session_scope(world.central.app.state.sessions) as db:
        return db.query(Service).count()


def test_a_file_is_reviewed_then_imported(console, world, tmp_path):
    national = add_person(world.central, "valtakunta@example.fi", "national_admin", None)
    world.emails["national"] = national
    catalogue = sample_catalogue()
    first = {"itemList": catalogue["itemList"][:10], "pageNumber": 1, "pageCount": 1}
    ok(world.central.request("POST", "/catalogue/import", world.national, json=first))
    assert count_services(world) == 10

    # The file: 5 more, one renamed, one withdrawn, one broken.
    items = copy.deepcopy(catalogue["itemList"][:15])
    old_name = items[0]["serviceNames"][0]["value"]
    items[0]["serviceNames"][0]["value"] = "Uusi nimi"
    items[0]["serviceChannels"] = items[0]["serviceChannels"][1:]  # a channel goes
    items[1]["publishingStatus"] = "Deleted"
    items.append({"id": "broken", "serviceNames": "not a list"})
    path = tmp_path / "ptv.json"
    path.write_text(json.dumps({"itemList": items, "pageNumber": 1, "pageCount": 1}))

    log_in(console, world, "national", "/console/catalogue")
    console.set_input_files("#c-file", str(path))
    console.click("#c-preview")
    counts = {
        k: console.inner_text(f"#count-{k}")
        for k in ("new", "changed", "withdrawn", "unchanged", "refused")
    }
    assert counts == {
        "new": "5",
        "changed": "1",
        "withdrawn": "1",
        "unchanged": "8",
        "refused": "1",
    }
    # What changes from what to what (issue 33), and a warning for the lost channel.
    changed = console.inner_text("ul.plan-changed")
    assert f"name.{items[0]['serviceNames'][0]['language']}: {old_name} → Uusi nimi" in changed
    assert "channels:" in changed
    assert "1 service would lose channels" in console.inner_text("[role=alert]")
    assert console.locator("#lost-channels li").count() == 1
    look(console, "catalogue-preview")
    assert count_services(world) == 10  # reviewing changed nothing
    console.click("#c-apply")
    assert "5 new, 2 changed, 8 unchanged, 1 refused" in console.inner_text(".notice")
    assert count_services(world) == 15
    look(console, "catalogue")


class Serves(BaseHTTPRequestHandler):
    body: bytes = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(Serves.body)))
        self.end_headers()
        self.wfile.write(Serves.body)

    def log_message(self, *_: Any) -> None:
        pass


def test_an_import_from_an_address(console, world):
    Serves.body = json.dumps(sample_catalogue()).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Serves)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        log_in(console, world, "national", "/console/catalogue")
        console.fill("#c-url", f"http://127.0.0.1:{server.server_address[1]}/ptv.json")
        console.click("#c-preview")
        total = len(sample_catalogue()["itemList"])
        new = int(console.inner_text("#count-new"))
        assert new == total - count_services(world)
        console.click("#c-apply")
        assert count_services(world) == total
    finally:
        server.shutdown()


def test_a_site_shows_its_services_as_its_kiosks_do(console, world):
    ids = [i["id"] for i in sample_catalogue()["itemList"]]
    ok(
        world.central.request(
            "PUT",
            f"/sites/{world.a.site_id}/catalogue",
            world.a.tokens["org_admin"],
            json={"service_ids": [ids[3], ids[1]]},
        )
    )
    log_in(console, world, "admin_a", f"/console/catalogue?site={world.a.site_id}&lang=sv")
    names = console.locator(".service-card h2").all_inner_texts()
    with session_scope(world.central.app.state.sessions) as db:
        expected = [db.get(Service, i).item["name"]["sv"] for i in (ids[3], ids[1])]
    assert names == expected
    assert console.locator("#c-file").count() == 0  # importing is a national admin's
    look(console, "catalogue-site")
    assert SCREENSHOTS.exists()


def test_ptv_sync_and_the_overlay_are_set_in_the_console(console, world):
    """A national admin sets an organisation's PTV sync (against the PTV stand-in) and runs
    it; a site's admin offers a service by video at their site, and the kiosks get it."""
    from devtools.ptv_server import PtvServer

    wellbeing = "5d2f4fe6-2c4e-5768-8cc3-6af62d46098d"
    org = ok(
        world.central.request(
            "POST",
            "/organisations",
            world.national,
            json={"name": "Hyvinvointialue PTV", "ptv_id": wellbeing},
        ),
        201,
    )
    if "national" not in world.emails:
        world.emails["national"] = add_person(
            world.central, f"ptv-{org['id'][:8]}@example.fi", "national_admin", None
        )
    with PtvServer() as server:
        log_in(console, world, "national", "/console/catalogue")
        form = console.locator("form[aria-label='Hyvinvointialue PTV']")
        form.locator("input[name=api_base]").fill(server.url)
        form.locator("input[name=every_minutes]").fill("30")
        form.locator("button[type=submit]").first.click()
        form = console.locator("form[aria-label='Hyvinvointialue PTV']")
        assert "Not synced yet." in form.inner_text()
        form.locator("button[id^=p-run]").click()
        form = console.locator("form[aria-label='Hyvinvointialue PTV']")
        listed = len(server.world.of_organisation(wellbeing))
        result = form.locator("p[id^=p-result]").inner_text()
        # New or changed (the module's catalogue may hold them already), none refused.
        counts = re.search(r": (\d+) new, (\d+) changed, 0 withdrawn, 0 refused", result)
        assert counts and 0 < int(counts[1]) + int(counts[2]) <= listed, result
        look(console, "catalogue-ptv-sync")
        bad = console.request.post(
            f"{world.central.base}/console/catalogue/ptv-sync",
            form={"org_id": org["id"], "api_base": "ftp://x", "csrf": _csrf(console)},
        )
        assert bad.status == 422

    crisis = next(
        s["id"]
        for s in sample_catalogue()["itemList"]
        if s["serviceNames"][0]["value"] == "Kriisipuhelin"
    )
    ok(
        world.central.request(
            "PUT",
            f"/sites/{world.a.site_id}/catalogue",
            world.a.tokens["org_admin"],
            json={"service_ids": [crisis]},
        )
    )
    console.context.clear_cookies()  # the site's admin now, in the same browser
    log_in(console, world, "admin_a", f"/console/catalogue?site={world.a.site_id}")
    card = console.locator(f"#s-{crisis}")
    card.locator("select[name=remote_video]").select_option("yes")
    card.locator("select[name=identification]").select_option("strong")
    card.locator("button[type=submit]").click()
    card = console.locator(f"#s-{crisis}")
    assert card.locator("select[name=remote_video]").input_value() == "yes"
    assert "Video" in card.inner_text()  # the kiosks' view now has the video channel
    look(console, "catalogue-overlay")
    [item] = ok(world.central.request("GET", "/kiosk/catalogue", world.a.device_token))["items"]
    assert item["remote_video"] is True and item["identification"] == "strong"


def _csrf(page: Any) -> str:
    return page.locator("input[name=csrf]").first.input_value()
