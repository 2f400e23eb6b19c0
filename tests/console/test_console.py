"""The console in headless Chromium against a real central (SQLite and PostgreSQL): login,
the fleet going offline and back with real heartbeats, a kiosk's page and actions, a bulk
action on a filter, the audit log, one municipality seeing nothing of another's, CSRF,
languages, and axe-core on every page (0 serious or critical WCAG 2.1 AA violations)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
import requests

from central.console.viewer import SECTIONS
from devtools.central_world import ok
from devtools.waiting import wait_for
from tests.console.conftest import (
    ConsoleWorld,
    add_person,
    axe_violations,
    log_in,
    look,
    signed_in_as,
)

pytestmark = pytest.mark.slow

HEALTHY = {
    "outbox_depth": 0,
    "devices": [{"kind": "printer", "name": "receipt", "state": "online"}],
    "ui": {"state": "attract"},
    "disk_free_mb": 4000,
}


def beat(world: ConsoleWorld, device_token: str, **health: object) -> None:
    body = {**HEALTHY, **health}
    ok(world.central.request("POST", "/kiosk/heartbeat", device_token, json=body))


def fast_heartbeats(world: ConsoleWorld) -> None:
    ok(
        world.central.request(
            "PATCH",
            f"/sites/{world.a.site_id}/config",
            world.a.tokens["org_admin"],
            json={"heartbeat_interval_s": 1},
        )
    )


def status_shown(page, kiosk_id: str) -> str:
    page.reload()
    row = page.locator(f"tr:has(a[href='/console/kiosks/{kiosk_id}'])")
    return row.locator(".badge[class*=status-]").inner_text()


def test_a_kiosk_goes_offline_when_its_heartbeats_stop_and_comes_back(console, world):
    fast_heartbeats(world)
    log_in(console, world, "admin_a")
    # Offline comes 3 s after a beat here: each check follows its beat at once.
    beat(world, world.a.device_token)
    assert status_shown(console, world.a.kiosk_id) == "Online"
    look(console, "fleet")
    # No heartbeat for over max(3 × 1 s, 2 s): offline.
    assert wait_for(lambda: status_shown(console, world.a.kiosk_id) == "Offline", 20)
    look(console, "fleet-offline")
    beat(world, world.a.device_token)
    assert status_shown(console, world.a.kiosk_id) == "Online"
    # A device fault makes it degraded, and the kiosk's page says which.
    beat(
        world,
        world.a.device_token,
        devices=[{"kind": "printer", "name": "receipt", "state": "needs_attention"}],
    )
    assert status_shown(console, world.a.kiosk_id) == "Degraded"
    assert "Printer (receipts): needs attention" in console.inner_text("table.fleet")
    console.click(f"a[href='/console/kiosks/{world.a.kiosk_id}']")
    assert "needs attention" in console.inner_text("main")
    look(console, "kiosk")
    # Devices and screens by their names in the page's language, not the kiosk's keys.
    console.goto(f"{world.central.base}/console/kiosks/{world.a.kiosk_id}?lang=fi")
    page = console.inner_text("main")
    assert "Tulostin" in page and "kuitit" in page and "Aloitusnäyttö" in page
    assert "attract" not in page and "receipt\n" not in page
    console.goto(f"{world.central.base}/console/kiosks/{world.a.kiosk_id}?lang=en")


def test_actions_on_one_kiosk_and_on_a_filter_reach_the_kiosks(console, world):
    beat(world, world.a.device_token)
    log_in(console, world, "admin_a", f"/console/kiosks/{world.a.kiosk_id}")
    console.click("#action-self_test")  # harmless: sent at once
    assert "sent" in console.inner_text(".notice")
    console.click("#action-reboot")  # stops the kiosk serving: asked first, by name
    assert "Reboot" in console.inner_text("h1") and "kiosk-1" in console.inner_text("main")
    console.click("text=Cancel")
    assert "/console/kiosks/" in console.url
    commands = ok(
        world.central.request("POST", "/kiosk/heartbeat", world.a.device_token, json=HEALTHY)
    )["commands"]
    assert [c["type"] for c in commands] == ["self_test"]
    # Bulk: maintenance on for everything the filter (this site) shows.
    console.goto(f"{world.central.base}/console/fleet?site={world.a.site_id}")
    assert console.eval_on_selector("#bulk-type", "s => s.value") == ""  # no default action
    console.select_option("#bulk-type", "maintenance_on")
    console.fill("#bulk-message", "Takaisin klo 14")
    console.click(".bulk button[type=submit]")
    # First the question, naming how many and which kiosks (issue 33); nothing sent yet.
    assert "Maintenance on" in console.inner_text("h1")
    assert "Kiosks it goes to: 1" in console.inner_text("#confirm-count")
    assert "cannot use them" in console.inner_text("[role=alert]")
    assert len(console.locator("#confirm-items li").all()) == 1
    look(console, "fleet-bulk-confirm")
    assert (
        ok(world.central.request("POST", "/kiosk/heartbeat", world.a.device_token, json=HEALTHY))[
            "commands"
        ]
        == []
    )
    console.click("#confirm")
    assert "sent to 1 kiosk." in console.inner_text(".notice")  # one kiosk, not "1 kiosks"
    look(console, "fleet-bulk-done")
    handed = ok(
        world.central.request("POST", "/kiosk/heartbeat", world.a.device_token, json=HEALTHY)
    )["commands"]
    assert [(c["type"], c["args"]) for c in handed] == [
        ("maintenance_on", {"message": "Takaisin klo 14"})
    ]
    # The other municipality's kiosk got nothing.
    assert (
        ok(world.central.request("POST", "/kiosk/heartbeat", world.b.device_token, json=HEALTHY))[
            "commands"
        ]
        == []
    )
    # The kiosk in maintenance shows as such once it says so.
    beat(world, world.a.device_token, ui={"state": "maintenance"})
    assert status_shown(console, world.a.kiosk_id) == "Maintenance"


def test_a_technician_is_offered_only_what_the_api_lets_them_do(console, world):
    log_in(console, world, "technician_a", f"/console/kiosks/{world.a.kiosk_id}")
    offered = {b.get_attribute("id") for b in console.locator(".actions button").all()}
    assert offered == {"action-self_test", "action-print_test_page", "action-screenshot"}
    nav = console.inner_text("header nav[aria-label]")
    assert "Audit log" not in nav
    console.goto(f"{world.central.base}/console/audit")
    assert "Something went wrong" in console.inner_text("h1")


def test_the_audit_log_shows_console_and_api_changes(console, world):
    ok(
        world.central.request(
            "POST",
            f"/sites/{world.a.site_id}/enrollment-tokens",
            world.a.tokens["technician"],
            json={},
        ),
        201,
    )
    admin = world.a.tokens["org_admin"]
    config = f"/sites/{world.a.site_id}/config"
    ok(world.central.request("PATCH", config, admin, json={"idle_timeout_s": 75}))
    ok(world.central.request("PATCH", config, admin, json={"idle_timeout_s": 90}))
    log_in(console, world, "admin_a", f"/console/kiosks/{world.a.kiosk_id}")
    console.click("#action-print_test_page")
    console.goto(f"{world.central.base}/console/audit")
    # In words, with the target named and the settings' old and new values (issue 33);
    # no address with its ids.
    text = console.inner_text("table.audit")
    rows = console.locator("table.audit tbody tr")
    assert "Sent an action to kiosk kiosk-1" in rows.nth(0).inner_text()
    assert world.emails["admin_a"] in text
    assert "Made an enrolment code for site Yhteispalvelupiste" in text
    changed = rows.filter(has_text="Changed the settings of site").first.inner_text()
    assert "idle_timeout_s: 75 → 90" in changed
    for raw in (world.a.kiosk_id, world.a.site_id, "/api/v1/", "POST "):
        assert raw not in text
    look(console, "audit")
    console.select_option("#f-via", "console")
    console.click(".filters button[type=submit]")
    filtered = console.inner_text("table.audit")
    assert "Sent an action to kiosk" in filtered and "enrolment code" not in filtered


def test_one_municipality_sees_nothing_of_another(console, world):
    log_in(console, world, "admin_b")
    fleet = console.inner_text("main")
    assert "Järvenpää" not in fleet and "Tuusula" in fleet
    # Every section, and A's own pages asked for by address.
    pages = [href for _label, href, _action in SECTIONS]
    pages += [
        f"/console/kiosks/{world.a.kiosk_id}",
        f"/console/sites/{world.a.site_id}",
        f"/console/fleet?org={world.a.id}",
        f"/console/catalogue?site={world.a.site_id}",
        f"/console/reports?site={world.a.site_id}",
    ]
    for path in pages:
        console.goto(f"{world.central.base}{path}")
        # The page may name the address asked for (its language links do): not a leak.
        body = console.content().replace(path, "").replace(quote(path, safe="/"), "")
        # Proposing an agreement means choosing the other party: the proposal form lists
        # the names of the organisations (public bodies), and nothing else of them.
        body = re.sub(r'<select id="a-other".*?</select>', "", body, flags=re.S)
        for secret in (world.a.kiosk_id, world.a.site_id, world.emails["admin_a"], "Järvenpää"):
            assert secret not in body, (path, secret)
    console.goto(f"{world.central.base}/console/kiosks/{world.a.kiosk_id}")
    assert "Something went wrong" in console.inner_text("h1")
    # Inside the console's own frame: the viewer's sections and name, and a way back.
    assert world.emails["admin_b"] in console.inner_text("header")
    assert console.locator("header nav a[href='/console/fleet']").count() == 1
    assert console.get_attribute("#way-back", "href") == "/console/fleet"
    look(console, "not-found")
    console.goto(f"{world.central.base}/console/sites/{world.a.site_id}")
    assert console.get_attribute("#way-back", "href") == "/console/sites"


def test_login_page_languages_and_no_session_mean_login(console, world):
    console.goto(f"{world.central.base}/console/fleet")
    assert "/console/login" in console.url
    look(console, "login")
    console.click("a[lang=sv]")
    assert console.inner_text("h1") == "Logga in"
    console.fill("#email", world.emails["admin_a"])
    console.fill("#password", "wrong password")
    console.click("button[type=submit]")
    assert "E-postadressen eller lösenordet är fel." in console.inner_text("[role=alert]")
    look(console, "login-failed-sv")
    console.click("a[lang=fi]")
    console.fill("#email", world.emails["admin_a"])
    from devtools.central_world import PASSWORD

    console.fill("#password", PASSWORD)
    console.click("button[type=submit]")
    console.wait_for_url(re.compile("/console/fleet"))
    assert console.inner_text("h1") == "Laitteet"
    # Counts take the noun's number (Babel's ngettext): "1 tunti", "24 tuntia".
    console.goto(f"{world.central.base}/console/sites/{world.a.site_id}")
    hours = console.eval_on_selector_all("#token-hours option", "os => os.map(o => o.textContent)")
    assert hours[:2] == ["1 tunti", "24 tuntia"]


def test_forms_need_the_session_csrf_token_and_cookies_are_locked_down(world):
    base = world.central.base
    login = requests.get(f"{base}/console/login", timeout=10)
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    assert "script-src 'self'" in login.headers["content-security-policy"]
    field = re.search(r'name="login_csrf" value="([^"]+)"', login.text).group(1)
    from devtools.central_world import PASSWORD

    # Without the double-submitted token the login form is refused.
    refused = requests.post(
        f"{base}/console/login",
        timeout=10,
        allow_redirects=False,
        data={"email": world.emails["admin_a"], "password": PASSWORD, "login_csrf": field},
    )
    assert refused.status_code == 403
    done = requests.post(
        f"{base}/console/login",
        timeout=10,
        allow_redirects=False,
        headers={"cookie": f"pp_console_login={field}"},
        data={"email": world.emails["admin_a"], "password": PASSWORD, "login_csrf": field},
    )
    assert done.status_code == 303
    session = re.search(r"pp_console=([^;]+)", done.headers["set-cookie"]).group(1)
    jar = {"cookie": f"pp_console={session}"}
    target = f"{base}/console/kiosks/{world.a.kiosk_id}/commands"
    no_token = requests.post(target, headers=jar, data={"type": "self_test"}, timeout=10)
    assert no_token.status_code == 403 and "csrf_failed" in no_token.text
    forged = requests.post(
        target, headers=jar, data={"type": "self_test", "csrf": "0" * 64}, timeout=10
    )
    assert forged.status_code == 403
    page = requests.get(f"{base}/console/fleet", headers=jar, timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    sent = requests.post(
        target,
        headers=jar,
        data={"type": "self_test", "csrf": token},
        timeout=10,
        allow_redirects=False,
    )
    assert sent.status_code == 303
    # A bad action is a page that says so, not a crash.
    bad = requests.post(
        target, headers=jar, data={"type": "format_disk", "csrf": token}, timeout=10
    )
    assert bad.status_code == 422 and "Choose one of the actions offered." in bad.text


def test_pages_read_without_javascript(browser, world):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, world, "admin_a")
        assert "kiosk-1" in page.inner_text("table.fleet")
        for path in (
            "/console/alerts",
            "/console/sites",
            "/console/reports",
            "/console/audit",
            f"/console/kiosks/{world.a.kiosk_id}",
        ):
            page.goto(f"{world.central.base}{path}")
            assert page.locator("h1").count() == 1 and "went wrong" not in page.inner_text("h1")
        # A form works too: the action goes and the notice comes back.
        page.goto(f"{world.central.base}/console/kiosks/{world.a.kiosk_id}")
        page.click("#action-self_test")
        assert "sent" in page.inner_text(".notice")
    finally:
        context.close()


def test_kiosks_are_named_from_their_site_renamed_tagged_found_and_chosen(console, world):
    """Issue 33: a new kiosk is not "vm"; the console renames and tags it, finds it by a
    word, and acts on the kiosks ticked in the list only."""
    central, admin = world.central, world.a.tokens["org_admin"]
    fresh = []
    for _ in range(2):
        token = ok(
            central.request("POST", f"/sites/{world.a.site_id}/enrollment-tokens", admin, json={}),
            201,
        )["token"]
        body = {"token": token, "hardware_id": f"hw-{uuid.uuid4().hex}", "hostname": "vm"}
        fresh.append(ok(central.request("POST", "/enroll", json=body), 201))
    from central.db.engine import session_scope
    from central.db.models import Site

    with session_scope(central.app.state.sessions) as db:
        site = db.get(Site, world.a.site_id).name
    names = [ok(central.request("GET", f"/kiosks/{k['kiosk_id']}", admin))["name"] for k in fresh]
    assert names[0].startswith(site) and names[0] != names[1] and "vm" not in names
    first, second = (k["kiosk_id"] for k in fresh)

    log_in(console, world, "admin_a", f"/console/kiosks/{first}")
    console.fill("#kiosk-name", "Aula, vasen")
    console.fill("#kiosk-tags", "pilot, aula")
    console.click("form.details button[type=submit]")
    assert console.inner_text("h1").startswith("Aula, vasen")
    assert "Name and tags saved." in console.inner_text(".notice")
    kiosk = ok(central.request("GET", f"/kiosks/{first}", admin))
    assert (kiosk["name"], kiosk["tags"]) == ("Aula, vasen", ["aula", "pilot"])
    look(console, "kiosk-renamed")

    console.goto(f"{central.base}/console/fleet?q=AULA")
    rows = console.locator("table.fleet tbody tr")
    assert rows.count() == 1 and "Aula, vasen" in rows.inner_text()
    assert "pilot" in console.eval_on_selector_all(
        "#filter-tag option", "os => os.map(o => o.value)"
    )
    console.goto(f"{central.base}/console/fleet?tag=pilot&size=25")
    assert console.locator("table.fleet tbody tr").count() == 1
    assert console.eval_on_selector("#filter-size", "s => s.value") == "25"

    # Two of the organisation's kiosks ticked: the self-test goes to those two only
    # (the third's earlier commands taken first).
    ok(central.request("POST", "/kiosk/heartbeat", world.a.device_token, json=HEALTHY))
    console.goto(f"{central.base}/console/fleet")
    console.check(f"#pick-{first}")
    console.check(f"#pick-{second}")
    console.select_option("#bulk-type", "self_test")
    console.click(".bulk button[type=submit]")
    assert "Kiosks it goes to: 2" in console.inner_text("#confirm-count")
    console.click("#confirm")
    assert "sent to 2 kiosks." in console.inner_text(".notice")
    heard = {}
    for kiosk_id, device in ((first, fresh[0]), (second, fresh[1]), (None, None)):
        token = device["device_token"] if device else world.a.device_token
        answer = ok(central.request("POST", "/kiosk/heartbeat", token, json=HEALTHY))
        heard[kiosk_id] = [c["type"] for c in answer["commands"]]
    assert heard == {first: ["self_test"], second: ["self_test"], None: []}

    # Another municipality's admin, with a valid session of their own, can neither
    # rename the kiosk nor act on it by ticking its id.
    with signed_in_as(console, world, "admin_b") as other:
        renamed = other.post(f"/console/kiosks/{first}/details", name="Taken", tags="")
        assert renamed.status in (403, 404) and "Aula" not in renamed.text()
        sent = other.post("/console/fleet/commands", type="reboot", kiosk=first, confirmed="0")
        assert sent.ok and "Aula" not in sent.text()
    assert ok(central.request("GET", f"/kiosks/{first}", admin))["name"] == "Aula, vasen"
    answer = ok(central.request("POST", "/kiosk/heartbeat", fresh[0]["device_token"], json=HEALTHY))
    assert answer["commands"] == []


def test_the_national_admin_adds_organisations_and_sets_their_ptv_ids(console, world):
    """Issue 33: organisations and their PTV ids in the console, not only the API."""
    tag = uuid.uuid4().hex[:8]
    world.emails["national"] = add_person(
        world.central, f"national-{tag}@example.fi", "national_admin", None
    )
    log_in(console, world, "national", "/console/organisations")
    console.fill("#org-name", f"Vantaan kaupunki {tag}")
    console.fill("#org-ptv", "not-an-id")
    console.click("#add-organisation button[type=submit]")
    assert "A PTV id is the organisation's id" in console.inner_text("[role=alert]")
    console.go_back()
    ptv = str(uuid.uuid4())
    console.fill("#org-name", f"Vantaan kaupunki {tag}")
    console.fill("#org-ptv", ptv.upper())
    console.click("#add-organisation button[type=submit]")
    assert "The organisation was added." in console.inner_text(".notice")
    row = console.locator("table.organisations tr", has_text=f"Vantaan kaupunki {tag}")
    assert row.locator("input[name=ptv_id]").input_value() == ptv  # kept in one form
    look(console, "organisations")
    listed = ok(world.central.request("GET", "/organisations", world.national))["items"]
    assert {"name": f"Vantaan kaupunki {tag}", "ptv_id": ptv} in [
        {"name": o["name"], "ptv_id": o["ptv_id"]} for o in listed
    ]
    # The same PTV id for another organisation: refused, said plainly.
    other = console.locator("table.organisations tr", has_text="Järvenpää")
    other.locator("input[name=ptv_id]").fill(ptv)
    other.locator("button[type=submit]").click()
    assert "Another organisation already has this PTV id." in console.inner_text("[role=alert]")

    # An organisation's admin has no such page, and cannot post to it.
    console.context.clear_cookies()
    log_in(console, world, "admin_a", "/console/fleet")
    assert "/console/organisations" not in console.inner_text("header")
    console.goto(f"{world.central.base}/console/organisations")
    assert "Something went wrong" in console.inner_text("h1")
    with signed_in_as(console, world, "admin_a") as other:
        assert other.post("/console/organisations", name="Evil").status == 403
    names = [
        o["name"]
        for o in ok(world.central.request("GET", "/organisations", world.national))["items"]
    ]
    assert "Evil" not in names


def test_admins_list_a_days_bookings_in_the_sites_time(console, world):
    """Issue 33: a bookings list for admins, each time in its site's zone; another
    municipality's admin sees none of them."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from devtools.builders import sample_catalogue

    ok(world.central.request("POST", "/catalogue/import", world.national, json=sample_catalogue()))
    service = sample_catalogue()["itemList"][0]["id"]
    helsinki = ZoneInfo("Europe/Helsinki")
    tomorrow = datetime.now(helsinki).date() + timedelta(days=1)
    starts = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 14, 0, tzinfo=helsinki)
    body = {
        "external_id": uuid.uuid4().hex,
        "site_id": world.a.site_id,
        "service_id": service,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        "display_name": "Maija V.",
    }
    ok(world.central.request("POST", "/bookings", world.a.tokens["booking_system"], json=body), 201)
    log_in(console, world, "admin_a", f"/console/bookings?day={tomorrow.isoformat()}")
    row = console.locator("table.bookings tbody tr", has_text="Maija V.")
    assert row.locator("th").inner_text() == "14:00–14:30"  # Helsinki, not the server's UTC
    assert "at the service point" in row.inner_text() and "booked" in row.inner_text()
    look(console, "bookings")
    console.click("text=Previous day")
    assert "Maija V." not in console.inner_text("table.bookings")

    console.context.clear_cookies()
    log_in(console, world, "admin_b", f"/console/bookings?day={tomorrow.isoformat()}")
    assert "Maija V." not in console.inner_text("main")


def _inside_outline(x: float, y: float) -> bool:
    """Ray casting over the shipped outline's rings (even-odd, as SVG fills them)."""
    from central.console.map_pages import outline

    inside = False
    for ring_text in outline().split("M")[1:]:
        points = [tuple(map(float, p.split(","))) for p in ring_text.rstrip("Z").split("L")]
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def test_the_map_places_sites_on_finland_coloured_by_their_kiosks(console, world):
    """Issue 33: a map with no tile server: Finland's shipped outline and the sites at
    their coordinates, by their kiosks' state; another municipality's sites stay off."""
    from central.console.map.projection import project

    site = ok(
        world.central.request(
            "POST",
            f"/organisations/{world.a.id}/sites",
            world.a.tokens["org_admin"],
            json={"name": "Järvenpään kirjasto", "latitude": 60.4737, "longitude": 25.0899},
        ),
        201,
    )
    beat(world, world.a.device_token)
    log_in(console, world, "admin_a", "/console/map")
    dot = console.locator(f"#site-{site['id']} circle")
    x, y = float(dot.get_attribute("cx")), float(dot.get_attribute("cy"))
    assert (x, y) == project(60.4737, 25.0899) and _inside_outline(x, y)
    assert not _inside_outline(*project(62.0, 20.0))  # the Gulf of Bothnia is sea
    assert not _inside_outline(*project(60.0, 30.3))  # nor is St Petersburg Finland
    kiosk_row = console.locator("table.map-sites tr", has_text="Yhteispalvelupiste")
    assert "Online" in kiosk_row.inner_text() or "Offline" in kiosk_row.inner_text()
    row = console.locator("table.map-sites tr", has_text="Järvenpään kirjasto")
    assert "–" in row.inner_text() and "yes" in row.inner_text()  # no kiosks yet
    look(console, "map")
    assert axe_violations(console) == []

    console.context.clear_cookies()
    log_in(console, world, "admin_b", "/console/map")
    assert console.locator(f"#site-{site['id']}").count() == 0
    assert "Järvenpään kirjasto" not in console.inner_text("main")
