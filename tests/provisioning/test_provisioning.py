"""`kiosk-provision` as a technician runs it, against a real central on loopback:
first-boot enrolment from a boot-partition file, enrolment from a QR photo, and the
device self-test whose report reaches central's fleet view."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import zxingcpp

from devtools.builders import sample_catalogue
from devtools.central_server import start_central
from devtools.central_world import add_user, make_org, ok
from kiosk.store import StateStore

# The full tier: the provisioning CLI run as processes take seconds
# (the fast tier keeps under 40 s).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    central = start_central(f"sqlite:///{tmp_path_factory.mktemp('c')}/central.db")
    national = add_user(central, "national_admin", None)
    ok(central.request("POST", "/catalogue/import", national, json=sample_catalogue()))
    org = make_org(central, national, with_kiosk=False)
    services = [s["id"] for s in sample_catalogue()["itemList"]]
    admin = org.tokens["org_admin"]
    ok(
        central.request(
            "PUT", f"/sites/{org.site_id}/catalogue", admin, json={"service_ids": services}
        )
    )
    yield central, org
    central.stop()


def new_token(central, org) -> str:
    made = central.request(
        "POST", f"/sites/{org.site_id}/enrollment-tokens", org.tokens["technician"], json={}
    )
    return ok(made, 201)["token"]


def provision(*args: str, state_dir) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioning.cli", "--state-dir", str(state_dir), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_first_boot_enrols_from_the_boot_partition_and_deletes_the_token(site, tmp_path):
    central, org = site
    boot, state = tmp_path / "boot", tmp_path / "state"
    boot.mkdir()
    token = new_token(central, org)
    enrol_file = boot / "palvelupiste-enrol.json"
    enrol_file.write_text(json.dumps({"central": central.base, "token": token}))

    done = provision("first-boot", "--file", str(enrol_file), state_dir=state)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "enrolled as kiosk" in done.stdout
        and "synced: configuration and 40 services" in done.stdout
    )
    credentials = json.loads((state / "credentials.json").read_text())
    assert credentials["site_id"] == org.site_id
    assert not enrol_file.exists()
    note = (boot / "palvelupiste-enrol.done").read_text()
    assert token not in note and credentials["kiosk_id"] in note
    kiosks = ok(central.request("GET", "/kiosks", org.tokens["org_admin"]))["items"]
    assert credentials["kiosk_id"] in [k["id"] for k in kiosks]

    # The next boot: nothing to do. A token put there again is deleted unused.
    again = provision("first-boot", "--file", str(boot / "missing.json"), state_dir=state)
    assert again.returncode == 2 and "missing.json" in again.stdout
    enrol_file.write_text(json.dumps({"central": central.base, "token": new_token(central, org)}))
    assert provision("first-boot", "--file", str(enrol_file), state_dir=state).returncode == 0
    assert "token not used" in (boot / "palvelupiste-enrol.done").read_text()


def test_first_boot_with_a_used_token_or_no_central_says_why(site, tmp_path):
    central, org = site
    enrol_file = tmp_path / "palvelupiste-enrol.json"
    token = new_token(central, org)
    assert (
        provision(
            "enrol", "--central", central.base, "--token", token, state_dir=tmp_path / "a"
        ).returncode
        == 0
    )
    enrol_file.write_text(json.dumps({"central": central.base, "token": token}))
    refused = provision("first-boot", "--file", str(enrol_file), state_dir=tmp_path / "b")
    assert refused.returncode == 2 and "refused" in refused.stdout
    assert "refused by central" in (tmp_path / "palvelupiste-enrol.done").read_text()

    enrol_file.write_text(json.dumps({"central": "http://127.0.0.1:9", "token": "x" * 20}))
    offline = provision("first-boot", "--file", str(enrol_file), state_dir=tmp_path / "c")
    assert offline.returncode == 75 and "will try again" in offline.stdout
    assert enrol_file.exists()  # kept for the retry


def test_enrol_checks_the_site_the_technician_expects(site, tmp_path):
    central, org = site
    right = provision(
        "enrol",
        "--central",
        central.base,
        "--token",
        new_token(central, org),
        "--site",
        org.site_id,
        state_dir=tmp_path / "a",
    )
    assert right.returncode == 0 and org.site_id in right.stdout
    wrong = provision(
        "enrol",
        "--central",
        central.base,
        "--token",
        new_token(central, org),
        "--site",
        "another-site",
        state_dir=tmp_path / "b",
    )
    assert wrong.returncode == 2 and "not another-site" in wrong.stdout
    assert not (tmp_path / "b" / "credentials.json").exists()


def test_enrol_from_a_photo_of_the_tokens_qr_code(site, tmp_path):
    central, org = site
    ticket = json.dumps({"central": central.base, "token": new_token(central, org)})
    code = np.array(
        zxingcpp.create_barcode(ticket, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6)
    )
    photo = np.full((code.shape[0] + 200, code.shape[1] + 300), 235, dtype=np.uint8)
    photo[100 : 100 + code.shape[0], 150 : 150 + code.shape[1]] = code
    cv2.imwrite(str(tmp_path / "token.png"), photo)
    done = provision("enrol", "--token-qr", str(tmp_path / "token.png"), state_dir=tmp_path / "s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "s" / "credentials.json").exists()

    cv2.imwrite(str(tmp_path / "blank.png"), np.full((200, 200), 255, dtype=np.uint8))
    blank = provision("enrol", "--token-qr", str(tmp_path / "blank.png"), state_dir=tmp_path / "t")
    assert blank.returncode == 2 and "no QR code found" in blank.stdout


def test_self_test_shows_progress_reports_and_sends_to_central(site, tmp_path):
    central, org = site
    state = tmp_path / "state"
    assert (
        provision(
            "enrol", "--central", central.base, "--token", new_token(central, org), state_dir=state
        ).returncode
        == 0
    )
    devices = {
        "printer": "sim",
        "scanner": "sim",
        "gpio": "sim",
        "camera": f"file:{tmp_path}/no-camera.avi",
    }
    run = provision("self-test", "--devices", json.dumps(devices), state_dir=state)
    assert run.returncode == 1, run.stdout + run.stderr  # the camera is missing
    out = run.stdout
    for n, kind in enumerate(["printer", "scanner", "gpio", "camera"], start=1):
        assert f"[{n}/4] testing {kind}/" in out
    assert "PASS  printer/receipt" in out and "PASS  scanner/a4" in out
    assert "FAIL  camera/front" in out and "3 of 4 devices passed" in out
    assert "report sent to central" in out

    kiosk_id = json.loads((state / "credentials.json").read_text())["kiosk_id"]
    seen = ok(central.request("GET", f"/kiosks/{kiosk_id}", org.tokens["org_admin"]))
    reported = {d["kind"]: d["detail"]["self_test"]["passed"] for d in seen["devices"]}
    assert reported == {"printer": True, "scanner": True, "gpio": True, "camera": False}
    store = StateStore(state / "state.db")
    assert store.db.execute("SELECT count(*) FROM device_status").fetchone()[0] == 4


def test_self_test_passes_on_the_default_config_which_has_no_devices(tmp_path):
    """A kiosk drives only configured hardware: the defaults name none, and that passes."""
    from contract.kiosk_config import DEFAULTS

    assert DEFAULTS["devices"] == {}
    run = provision("self-test", state_dir=tmp_path / "state")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no devices are configured" in run.stdout and "0 of 0 devices passed" in run.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files to another user needs root")
def test_first_boot_hands_the_state_to_the_kiosk_user_without_following_links(tmp_path):
    """On the image releases/current links into the read-only root and the releases are
    their own partition: the hand-over changes neither (it failed there once)."""
    import pwd

    from provisioning.cli import _hand_over

    state, elsewhere = tmp_path / "state", tmp_path / "root-owned"
    (state / "releases/0.1.0").mkdir(parents=True)
    (state / "releases/0.1.0/venv").write_text("")
    elsewhere.write_text("")
    (state / "releases/current").symlink_to(elsewhere)
    (state / "credentials.json").write_text("{}")
    (state / "artifacts").mkdir()
    (state / "artifacts/shot.png").write_text("")
    (state / "current-screen").symlink_to(elsewhere)
    (state / "ssh-host-keys").mkdir()
    (state / "ssh-host-keys/ssh_host_ed25519_key").write_text("")

    _hand_over(state, "nobody")
    nobody = pwd.getpwnam("nobody").pw_uid
    for mine in ("", "credentials.json", "artifacts", "artifacts/shot.png"):
        assert (state / mine).stat().st_uid == nobody, mine
    assert (state / "current-screen").lstat().st_uid == nobody  # the link, not its target
    assert elsewhere.stat().st_uid == 0
    assert (state / "releases/0.1.0/venv").stat().st_uid == 0  # the updater's, left alone
    assert (state / "ssh-host-keys/ssh_host_ed25519_key").stat().st_uid == 0  # root's alone
