"""Deployments in the console, in Chromium with axe-core: an admin deploys a release to
a site, sees the canary asked for it, pauses, resumes and cancels; a kiosk's failure
shows with its reason; another municipality's deployment stays out of reach."""

from __future__ import annotations

import pytest

from devtools.central_world import ok
from tests.console.conftest import ConsoleWorld, log_in, look

pytestmark = pytest.mark.slow


def beat(world: ConsoleWorld, update: dict | None = None) -> dict:
    body: dict = {"software_version": "0.1.0", "config_version": 1}
    if update:
        body["update"] = update
    return ok(
        world.central.http.post(
            f"{world.central.base}/api/v1/kiosk/heartbeat",
            json=body,
            headers={"Authorization": f"Bearer {world.a.device_token}"},
            timeout=30,
        )
    )


def test_deploy_watch_pause_resume_and_cancel(console, world):
    log_in(console, world, "admin_a", "/console/deployments")
    look(console, "deployments")
    console.fill("#release", "7.0.0")
    console.select_option("#site_id", world.a.site_id)
    console.click("form.bulk button[type=submit]")
    console.wait_for_url("**/console/deployments/*")
    deployment_id = console.url.rsplit("/", 1)[1]
    assert "running" in console.inner_text("dl.facts")
    wanted = beat(world)["release"]
    assert wanted["version"] == "7.0.0" and wanted["deployment"] == deployment_id
    console.click("button:text('Pause')")
    assert "paused by a person" in console.inner_text("[role=alert]")
    console.click("button:text('Resume')")
    assert "running" in console.inner_text("dl.facts")
    why = "health check failed: the UI of 7.0.0 has not drawn its first frame"
    update = {"version": "7.0.0", "deployment": deployment_id, "state": "rolled_back"}
    beat(world, {**update, "detail": why})
    console.reload()
    assert why in console.inner_text("table.deployment-kiosks")
    assert "canary" in console.inner_text("[role=alert]")
    look(console, "deployment-paused")
    console.click("button:text('Cancel')")
    assert "cancelled" in console.inner_text("dl.facts")
    assert beat(world)["release"] is None
    # The list shows it, with its kiosks' states.
    console.goto(f"{world.central.base}/console/deployments")
    assert "7.0.0" in console.inner_text("table.deployments")


def test_another_municipalitys_deployment_is_out_of_reach(console, world):
    made = ok(
        world.central.request(
            "POST",
            "/deployments",
            world.b.tokens["org_admin"],
            json={"release": "8.0.0", "kiosk_ids": [world.b.kiosk_id]},
        ),
        201,
    )
    log_in(console, world, "admin_a", "/console/deployments")
    assert "8.0.0" not in console.inner_text("main")
    response = console.goto(f"{world.central.base}/console/deployments/{made['id']}")
    assert response.status == 404


def test_releases_are_chosen_from_the_published_list_and_each_kiosk_shows_its_updates(
    console, tmp_path, database_url
):
    """Issue 33: an admin deploys a release from the repository's list (newest first,
    no deltas), not by typing its version; the kiosk's page lists its updates."""
    import tarfile

    from devtools.central_server import start_central
    from devtools.central_world import add_user, make_org
    from devtools.kiosk_world import make_repository
    from tests.console.conftest import add_person

    releases = make_repository(tmp_path / "releases")
    for name in ("0.9.1", "0.10.0", "0.10.0-from-0.9.1"):
        bundle = tmp_path / f"palvelupiste-{name}.tar"
        with tarfile.open(bundle, "w"):
            pass
        releases.publish(bundle)
    central = start_central(database_url, update_repository=str(releases.repo.folder))
    try:
        national = add_user(central, "national_admin", None)
        org = make_org(central, national, name="Kerava")
        email = add_person(central, f"releases-{org.id[:8]}@example.fi", "org_admin", org.id)
        world = ConsoleWorld(central, national, org, org, {"admin": email})
        log_in(console, world, "admin", "/console/deployments")
        offered = console.eval_on_selector_all("#release option", "os => os.map(o => o.value)")
        assert offered == ["0.10.0", "0.9.1"]
        look(console, "deployments-releases")
        console.select_option("#site_id", org.site_id)
        console.click("form.bulk button[type=submit]")
        console.wait_for_url("**/console/deployments/*")
        asked = ok(
            central.request(
                "POST", "/kiosk/heartbeat", org.device_token, json={"software_version": "0.9.1"}
            )
        )["release"]
        assert asked["version"] == "0.10.0"
        update = {"version": "0.10.0", "deployment": asked["deployment"], "state": "committed"}
        ok(
            central.request(
                "POST",
                "/kiosk/heartbeat",
                org.device_token,
                json={"software_version": "0.10.0", "update": update},
            )
        )
        console.goto(f"{central.base}/console/kiosks/{org.kiosk_id}")
        history = console.inner_text("table.updates")
        assert "0.10.0" in history and "committed" in history
        look(console, "kiosk-updates")
    finally:
        central.stop()
