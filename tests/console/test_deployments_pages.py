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
