"""Deployments at central over real HTTP, on SQLite and PostgreSQL: kiosks' heartbeats
(with their updaters' reports) move a release through canary, 10 % and all; failures
pause it; people pause, resume and cancel. The kiosks' side is tests/updates/."""

from __future__ import annotations

import pytest

from devtools.central_world import enrol, make_org, ok


def beat(central, device_token: str, version: str = "0.1.0", update: dict | None = None):
    body = {"software_version": version, "config_version": 1}
    if update is not None:
        body["update"] = update
    response = central.http.post(
        f"{central.base}/api/v1/kiosk/heartbeat",
        json=body,
        headers={"Authorization": f"Bearer {device_token}"},
        timeout=30,
    )
    return ok(response)


@pytest.fixture
def fleet(central, national):
    """An organisation with five kiosks, each having beaten once (the newest first)."""
    org = make_org(central, national, with_kiosk=False, name="Deploykunta")
    kiosks = [enrol(central, org.tokens["technician"], org.site_id) for _ in range(5)]
    for _kiosk_id, token in kiosks:
        beat(central, token)
    return org, dict(kiosks)


def deployment(central, org, deployment_id):
    return ok(central.request("GET", f"/deployments/{deployment_id}", org.tokens["org_admin"]))


def states(seen) -> dict[str, str]:
    return {k["kiosk_id"]: k["state"] for k in seen["kiosks"]}


def test_a_release_goes_canary_ten_percent_all_and_completes(central, fleet):
    org, kiosks = fleet
    admin = org.tokens["org_admin"]
    made = ok(
        central.request(
            "POST", "/deployments", admin, json={"release": "0.2.0", "site_id": org.site_id}
        ),
        201,
    )
    assert made["phase"] == "canary" and made["phase_sizes"] == [1, 2, 5]
    wanted = {k: beat(central, t)["release"] for k, t in kiosks.items()}
    canary = [k for k, w in wanted.items() if w]
    assert len(canary) == 1
    assert wanted[canary[0]] == {
        "version": "0.2.0",
        "target": "palvelupiste-0.2.0.tar",
        "deployment": made["id"],
        "url": None,
    }
    # The canary's updater reports as it goes; central shows each step.
    report = {
        "version": "0.2.0",
        "deployment": made["id"],
        "state": "downloading",
        "detail": "40 %",
    }
    beat(central, kiosks[canary[0]], update=report)
    seen = deployment(central, org, made["id"])
    assert states(seen)[canary[0]] == "downloading"
    assert seen["kiosks"][0]["detail"] == "40 %"
    # Committed: the 10 % phase opens (one more kiosk here).
    beat(central, kiosks[canary[0]], "0.2.0", {**report, "state": "committed", "detail": ""})
    seen = deployment(central, org, made["id"])
    assert seen["phase"] == "10 %"
    second = [k for k, t in kiosks.items() if k not in canary and beat(central, t)["release"]]
    assert len(second) == 1
    # A kiosk that simply comes back on the new version counts as committed too.
    beat(central, kiosks[second[0]], "0.2.0")
    assert deployment(central, org, made["id"])["phase"] == "all"
    rest = [k for k in kiosks if k not in canary + second]
    assert all(beat(central, kiosks[k])["release"] for k in rest)
    for kiosk_id in rest:
        beat(central, kiosks[kiosk_id], "0.2.0")
    seen = deployment(central, org, made["id"])
    assert seen["status"] == "completed"
    assert seen["counts"] == {"committed": 5}


def test_a_failing_canary_pauses_and_resume_goes_on(central, fleet):
    org, kiosks = fleet
    admin = org.tokens["org_admin"]
    made = ok(
        central.request(
            "POST", "/deployments", admin, json={"release": "0.3.0", "kiosk_ids": list(kiosks)}
        ),
        201,
    )
    canary = next(k for k, t in kiosks.items() if beat(central, t)["release"])
    why = "health check failed: the UI of 0.3.0 has not drawn its first frame"
    beat(
        central,
        kiosks[canary],
        update={
            "version": "0.3.0",
            "deployment": made["id"],
            "state": "rolled_back",
            "detail": why,
        },
    )
    seen = deployment(central, org, made["id"])
    assert seen["status"] == "paused"
    assert seen["paused_reason"] == f"canary kiosk {canary} failed: {why}"
    assert states(seen)[canary] == "rolled_back"
    # Paused: no new phase opens, no other kiosk is asked.
    assert not any(beat(central, t)["release"] for k, t in kiosks.items() if k != canary)
    resumed = ok(central.request("POST", f"/deployments/{made['id']}/resume", admin))
    assert resumed["status"] == "running" and resumed["paused_reason"] is None
    # The acknowledged failure neither pauses it again nor holds the next phase back.
    assert resumed["phase"] == "10 %"
    assert sum(1 for t in kiosks.values() if beat(central, t)["release"]) == 2
    cancelled = ok(central.request("POST", f"/deployments/{made['id']}/cancel", admin))
    assert cancelled["status"] == "cancelled"
    assert beat(central, kiosks[canary])["release"] is None
    again = central.request("POST", f"/deployments/{made['id']}/resume", admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "deployment_finished"


def test_failures_over_the_error_threshold_pause_a_later_phase(central, fleet):
    org, kiosks = fleet
    admin = org.tokens["org_admin"]
    made = ok(
        central.request(
            "POST",
            "/deployments",
            admin,
            json={"release": "0.4.0", "kiosk_ids": list(kiosks), "error_threshold": 0.2},
        ),
        201,
    )
    order = [k["kiosk_id"] for k in deployment(central, org, made["id"])["kiosks"]]
    beat(central, kiosks[order[0]], "0.4.0")  # canary fine: 10 % opens
    beat(central, kiosks[order[1]], "0.4.0")  # fine: all opens
    report = {"version": "0.4.0", "deployment": made["id"], "state": "failed"}
    beat(central, kiosks[order[2]], update={**report, "detail": "no_space: 80 MB free"})
    assert deployment(central, org, made["id"])["status"] == "running"  # 1 of 5: 20 %
    beat(central, kiosks[order[3]], update={**report, "detail": "bad_signature"})
    seen = deployment(central, org, made["id"])
    assert seen["status"] == "paused"
    assert seen["paused_reason"] == "2 of 5 kiosks failed, more than 20%"
    paused = ok(central.request("POST", f"/deployments/{made['id']}/pause", admin))
    assert paused["status"] == "paused"


def test_deploying_by_tag_and_the_requests_that_are_refused(central, fleet):
    org, kiosks = fleet
    admin = org.tokens["org_admin"]
    first = next(iter(kiosks))
    tagged = ok(central.request("PUT", f"/kiosks/{first}/tags", admin, json={"tags": ["pilot"]}))
    assert tagged == {"kiosk_id": first, "tags": ["pilot"]}
    made = ok(
        central.request("POST", "/deployments", admin, json={"release": "0.5.0", "tag": "pilot"}),
        201,
    )
    assert [k["kiosk_id"] for k in made["kiosks"]] == [first]
    listed = ok(central.request("GET", "/deployments", org.tokens["technician"]))["items"]
    assert made["id"] in [d["id"] for d in listed]
    refused = {
        "two targets": {"release": "1.0.0", "tag": "pilot", "site_id": org.site_id},
        "no target": {"release": "1.0.0"},
        "bad version": {"release": "../etc", "tag": "pilot"},
        "bad threshold": {"release": "1.0.0", "tag": "pilot", "error_threshold": 2},
    }
    for what, body in refused.items():
        response = central.request("POST", "/deployments", admin, json=body)
        assert response.status_code == 422, what
        assert response.json()["error"]["message"], what
    nobody = central.request(
        "POST", "/deployments", admin, json={"release": "1.0.0", "tag": "none"}
    )
    assert nobody.status_code == 422 and nobody.json()["error"]["code"] == "no_kiosks"
    technician = central.request(
        "POST", "/deployments", org.tokens["technician"], json={"release": "1.0.0", "tag": "pilot"}
    )
    assert technician.status_code == 403
