"""The updater on real releases, real processes and a real central (tests/updates/
kiosk_world.py): a good release is committed, a broken one rolled back and never tried
again, nothing is switched while a citizen is served, a reboot mid-check reverts, and
state.db survives a rollback across migrations both ways."""

from __future__ import annotations

import io
import json
import platform
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from central.updates import bundle
from contract.release import MANIFEST
from devtools.central_server import start_central
from devtools.central_world import make_org, ok
from devtools.kiosk_world import (
    FACTORY,
    Kiosk,
    ReleaseRepo,
    build_release,
    credentials,
    enrolled_kiosk,
    install_factory,
    make_repository,
    wait_until,
)
from devtools.virtual_display import kivy_display
from kiosk import store as state_file
from kiosk.store import StateStore

pytestmark = pytest.mark.slow

GOOD = "0.2.0"
# A release with one more state.db migration that older releases can still read.
ADDITIVE = (
    "kiosk/store.py",
    (
        "MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]",
        "def _v5(db):\n    db.execute('CREATE TABLE release_notes (id INTEGER PRIMARY KEY)')\n\n\n"
        "MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5]",
    ),
)


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("releases")
    return {
        FACTORY: build_release(work, FACTORY),
        GOOD: build_release(work, GOOD),
    }


@pytest.fixture
def world(tmp_path, releases) -> Iterator[tuple[Kiosk, ReleaseRepo, object]]:
    repo = make_repository(tmp_path / "updates")
    repo.publish(releases[GOOD])
    central = start_central(
        f"sqlite:///{tmp_path / 'central.db'}", update_repository=str(repo.repo.folder)
    )
    from devtools.central_world import add_user

    national = add_user(central, "national_admin", None)
    org = make_org(central, national, with_kiosk=False)
    state_dir = tmp_path / "kiosk"
    install_factory(state_dir, releases[FACTORY])
    kiosk = enrolled_kiosk(central, org.tokens["technician"], org.site_id, state_dir, repo.root)
    kiosk.org = org  # type: ignore[attr-defined]
    try:
        yield kiosk, repo, central
    finally:
        kiosk.stop()
        central.stop()


def test_a_good_release_is_switched_to_checked_and_committed(world):
    kiosk, _repo, central = world
    kiosk.start_units()
    kiosk.wish(GOOD)
    said = kiosk.update("--no-ui-gate")
    assert said == f"release {GOOD} committed"
    journal = kiosk.journal()
    assert (journal.committed, journal.phase, journal.trying) == (GOOD, "idle", None)
    assert kiosk.shelf.link("current") == kiosk.shelf.link("committed") == GOOD
    version = subprocess.run(
        [kiosk.bin("kiosk-agent"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version == GOOD
    # Central saw the new release's own heartbeat.
    org = kiosk.org  # type: ignore[attr-defined]
    kiosks = ok(central.request("GET", "/kiosks", org.tokens["org_admin"]))["items"]
    assert kiosks[0]["software_version"] == GOOD
    # The old release stays on the shelf for a rollback; the download is gone.
    assert kiosk.shelf.versions() == [FACTORY, GOOD]
    assert not list((kiosk.state_dir / "update" / "downloads").iterdir())


def test_a_kiosk_on_the_base_release_takes_the_small_delta_bundle(world, releases, tmp_path):
    kiosk, repo, _central = world
    delta = build_release(tmp_path / "delta", GOOD, base=releases[FACTORY])
    assert delta.name == f"palvelupiste-{GOOD}-from-{FACTORY}.tar"
    repo.publish(delta)
    manifest = bundle.read_manifest(delta)
    # The unchanged wheel (the dependency layer) is named, not carried.
    carried, reused = set(manifest["files"]), set(manifest["from_base"]["files"])
    assert any("test_layer" in name for name in reused)
    assert not any("test_layer" in name for name in carried)
    kiosk.start_units()
    kiosk.wish(GOOD)
    assert kiosk.update("--no-ui-gate") == f"release {GOOD} committed"
    layer = next(kiosk.shelf.path(GOOD).glob("wheels/*test_layer*.whl"))
    assert layer.stat().st_nlink == 2  # the factory release's own file, hard-linked


BROKEN_UI = (
    "kiosk/ui/app.py",
    (
        "    def build(self) -> ScreenManager:\n",
        "    def build(self) -> ScreenManager:\n        raise RuntimeError('this UI is broken')\n",
    ),
)
SILENT_AGENT = (
    "kiosk/agent/heartbeat.py",
    (
        "    def beat(self) -> dict[str, Any]:\n",
        "    def beat(self) -> dict[str, Any]:\n        raise RuntimeError('no heartbeat')\n",
    ),
)


def _build(tmp_path: Path, version: str, *changes: tuple[str, tuple[str, str]]) -> Path:
    return build_release(tmp_path / "build", version, changes)


def test_a_release_whose_ui_crashes_is_rolled_back_and_central_sees_why(world, tmp_path):
    kiosk, repo, central = world
    org = kiosk.org  # type: ignore[attr-defined]
    broken = _build(tmp_path, "0.3.0", BROKEN_UI)
    repo.publish(broken)
    kiosk_id = credentials(kiosk.state_dir)["kiosk_id"]
    deployment = ok(
        central.request(
            "POST",
            "/deployments",
            org.tokens["org_admin"],
            json={"release": "0.3.0", "kiosk_ids": [kiosk_id]},
        ),
        201,
    )
    with kivy_display():
        kiosk.start_units(ui=True)
        store = kiosk.store()
        # The factory UI draws; the agent hears central's wish in its heartbeat answer.
        wait_until(lambda: (store.get_state("ui.alive") or {}).get("version") == FACTORY, 60,
                   "the factory UI did not come up")  # fmt: skip
        wait_until(lambda: (store.get_state("update.desired") or {}).get("version") == "0.3.0",
                   30, "the agent did not hear of the deployment")  # fmt: skip
        said = kiosk.update(gate_timeout=20, gate_stable=3)
        assert said.startswith("release 0.3.0 rolled back to 0.1.0"), said
        journal = kiosk.journal()
        assert "UI of 0.3.0 has not drawn its first frame" in journal.rolled_back["0.3.0"]
        assert kiosk.shelf.link("current") == kiosk.shelf.link("committed") == FACTORY
        # Back on the old release within 60 s of the gate failing.
        assert journal.last_rollback["done_at"] - journal.last_rollback["gate_deadline"] < 60
        # The old UI runs again, and central sees the rollback with its reason.
        back = journal.last_rollback["done_at"]
        wait_until(lambda: float((store.get_state("ui.alive") or {}).get("at", 0)) > back
                   and store.get_state("ui.alive")["version"] == FACTORY, 60,
                   "the old UI did not come back")  # fmt: skip

        def central_view():
            seen = ok(
                central.request("GET", f"/deployments/{deployment['id']}", org.tokens["org_admin"])
            )
            return seen if seen["kiosks"][0]["state"] == "rolled_back" else None

        seen = wait_until(central_view, 30, "central never saw the rollback")
        assert "has not drawn its first frame" in seen["kiosks"][0]["detail"]
        assert seen["status"] == "paused" and "canary" in seen["paused_reason"]
        # No rollback loop: the same release is not tried again.
        again = kiosk.update(gate_timeout=20, gate_stable=3)
        assert "was rolled back here before" in again
        assert kiosk.shelf.link("current") == FACTORY
        store.close()


def test_nothing_is_switched_while_a_citizen_is_served(world):
    kiosk, _repo, _central = world
    kiosk.start_units()
    starts_before = (kiosk.pidfile.with_suffix(".state")).read_text()
    store = kiosk.store()
    store.set_state("ui.session_active", True)  # what the UI writes when a session starts
    kiosk.wish(GOOD)
    said = kiosk.update("--no-ui-gate")
    assert said == f"release {GOOD} installed; waiting: a citizen is being served"
    assert kiosk.shelf.link("current") == FACTORY
    assert kiosk.pidfile.with_suffix(".state").read_text() == starts_before  # no restart
    assert store.get_state("update.report")["state"] == "installed"
    store.set_state("ui.session_active", False)
    assert kiosk.update("--no-ui-gate") == f"release {GOOD} committed"
    store.close()


def test_a_reboot_during_the_health_check_reverts_at_boot(world):
    kiosk, _repo, _central = world
    kiosk.start_units()
    kiosk.wish(GOOD)
    updater = subprocess.Popen(
        kiosk.updater_argv("--no-ui-gate", gate_timeout=60, gate_stable=60),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: kiosk.journal().gate_started, 120, "the switch never happened")
    assert kiosk.shelf.link("current") == GOOD
    updater.kill()  # the power goes
    updater.wait()
    kiosk.stop()
    boot = subprocess.run(
        [kiosk.bin("kiosk-update", "committed"), "--state-dir", str(kiosk.state_dir), "boot"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert boot.returncode == 0, boot.stderr
    assert "restarted before the release was committed" in boot.stdout
    assert kiosk.shelf.link("current") == kiosk.shelf.link("committed") == FACTORY
    assert kiosk.journal().phase == "idle"


def test_a_rollback_keeps_state_db_when_the_migration_is_additive(world, tmp_path):
    kiosk, repo, _central = world
    release = _build(tmp_path, "0.4.0", ADDITIVE, SILENT_AGENT)
    repo.publish(release)
    kiosk.start_units()
    kiosk.wish("0.4.0")
    said = kiosk.update("--no-ui-gate", gate_timeout=8, gate_stable=1)
    assert "rolled back" in said and "heartbeat" in said
    # The old release reads the newer file: the migration's table and the data stay.
    assert state_file.schema_of(kiosk.state_dir / "state.db") == (5, 0)
    store = kiosk.store()
    wait_until(lambda: (store.get_state("heartbeat.accepted") or {}).get("version") == FACTORY,
               30, "the old agent did not run on the migrated file")  # fmt: skip
    store.close()


def test_a_breaking_migration_is_refused_by_the_old_release_and_the_snapshot_restored(
    world, tmp_path
):
    kiosk, repo, _central = world
    breaking = (
        "kiosk/store.py",
        (
            "BREAKS_OLDER: frozenset[int] = frozenset()",
            "BREAKS_OLDER: frozenset[int] = frozenset({5})",
        ),
    )
    release = _build(tmp_path, "0.5.0", ADDITIVE, breaking, SILENT_AGENT)
    repo.publish(release)
    # The old release refuses a file the new one migrated, with a clear message.
    other = tmp_path / "copy"
    other.mkdir()
    StateStore(other / "state.db").close()
    kiosk.wish("0.5.0")
    kiosk.update("--no-ui-gate", gate_timeout=1, gate_stable=1)  # installs it, then fails
    new_agent = str(kiosk.shelf.path("0.5.0") / "venv" / "bin" / "kiosk-agent")
    subprocess.run([new_agent, "--state-dir", str(other), "migrate-state"], check=True)
    old_agent = subprocess.run(
        [kiosk.bin("kiosk-agent"), "--state-dir", str(other), "migrate-state"],
        capture_output=True,
        text=True,
    )
    assert old_agent.returncode == 3
    assert "newer release" in old_agent.stderr
    # The updater put the snapshot back: the old release's schema, the old release runs.
    assert (
        kiosk.journal().rolled_back["0.5.0"].endswith("(state.db restored from before the switch)")
    )
    assert state_file.schema_of(kiosk.state_dir / "state.db") == (4, 0)


def test_three_releases_are_kept_and_older_ones_removed(world, tmp_path):
    kiosk, repo, _central = world
    kiosk.start_units()
    for version in ("0.6.0", "0.7.0", "0.8.0"):
        repo.publish(build_release(tmp_path / version, version))
        kiosk.wish(version)
        assert kiosk.update("--no-ui-gate", gate_stable=1) == f"release {version} committed"
    # The factory release went when the third came; the previous one stays for a rollback.
    assert kiosk.shelf.versions() == ["0.6.0", "0.7.0", "0.8.0"]
    assert not kiosk.shelf.path(FACTORY).exists()
    assert kiosk.journal().committed == "0.8.0"


def _built_for(bundle_path: Path, out: Path, **stamp: str) -> Path:
    """The same bundle, its manifest saying it was built for another Python or machine
    (as one built on the wrong build root would say)."""
    manifest = bundle.read_manifest(bundle_path)
    manifest.update(stamp)
    out.mkdir(parents=True, exist_ok=True)
    target = out / bundle_path.name
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    with (
        tarfile.open(bundle_path) as source,
        tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar,
    ):
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
        for member in source.getmembers():
            if member.name != MANIFEST:
                tar.addfile(member, source.extractfile(member))
    return target


@pytest.mark.parametrize(
    ("stamp", "said"),
    [
        ({"python": "cp313"}, "the bundle is for cp313, this kiosk runs cp3"),
        (
            {"machine": "aarch64" if platform.machine() != "aarch64" else "x86_64"},
            "the bundle is for ",
        ),
    ],
)
def test_a_bundle_for_another_python_or_machine_is_refused_with_its_reason(
    world, tmp_path, stamp, said
):
    kiosk, repo, central = world
    org = kiosk.org  # type: ignore[attr-defined]
    other = _built_for(_build(tmp_path, "0.4.0"), tmp_path / "restamped", **stamp)
    repo.publish(other)
    kiosk_id = credentials(kiosk.state_dir)["kiosk_id"]
    body = {"release": "0.4.0", "kiosk_ids": [kiosk_id]}
    deployment = ok(
        central.request("POST", "/deployments", org.tokens["org_admin"], json=body), 201
    )
    kiosk.start_units()
    store = kiosk.store()
    wait_until(lambda: (store.get_state("update.desired") or {}).get("version") == "0.4.0",
               30, "the agent did not hear of the deployment")  # fmt: skip
    answer = kiosk.update("--no-ui-gate")
    assert answer.startswith("release 0.4.0 refused: wrong_platform: "), answer
    assert said in answer
    # Nothing of it is installed; the factory release runs on.
    assert kiosk.shelf.link("current") == kiosk.shelf.link("committed") == FACTORY
    assert "0.4.0" not in kiosk.shelf.versions()

    def central_view():
        seen = ok(
            central.request("GET", f"/deployments/{deployment['id']}", org.tokens["org_admin"])
        )
        return seen if seen["kiosks"][0]["state"] == "failed" else None

    seen = wait_until(central_view, 30, "central never heard why")
    assert "wrong_platform" in seen["kiosks"][0]["detail"] and said in seen["kiosks"][0]["detail"]
    store.close()
