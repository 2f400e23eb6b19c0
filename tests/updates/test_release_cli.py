"""`central release` as an operator runs it: keys, a repository, a release, a timestamp,
then a kiosk's verified fetch of what it published."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.update.fetch import fetch_bundle
from tests.support.http_server import serving_folder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]


def central(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "central.cli", "release", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_keys_init_add_and_refresh_then_a_kiosk_fetches(tmp_path):
    keys, repo = tmp_path / "keys", tmp_path / "repo"
    bundle = tmp_path / "palvelupiste-1.1.0.tar"
    bundle.write_bytes(os.urandom(64 * 1024))
    assert "move the root keys offline" in central("keys", "--dir", str(keys))
    assert "threshold 2" in central("init", "--repo", str(repo), "--keys", str(keys))
    assert "65536 bytes" in central("add", str(bundle), "--repo", str(repo), "--keys", str(keys))
    assert "timestamp version" in central(
        "refresh-timestamp", "--repo", str(repo), "--keys", str(keys)
    )
    with serving_folder(repo) as url:
        got = fetch_bundle(
            tmp_path / "kiosk" / "metadata",
            url,
            bundle.name,
            tmp_path / "kiosk" / "downloads",
            (repo / "metadata" / "1.root.json").read_bytes(),
        )
        assert got.path.read_bytes() == bundle.read_bytes()


def test_rotating_the_timestamp_key_from_the_command_line(tmp_path):
    keys_dir, repo = tmp_path / "keys", tmp_path / "repo"
    bundle = tmp_path / "palvelupiste-1.2.0.tar"
    bundle.write_bytes(os.urandom(4096))
    central("keys", "--dir", str(keys_dir))
    central("init", "--repo", str(repo), "--keys", str(keys_dir))
    central("add", str(bundle), "--repo", str(repo), "--keys", str(keys_dir))
    kiosk = tmp_path / "kiosk"

    def fetch(url: str) -> bytes:
        return fetch_bundle(
            kiosk / "metadata",
            url,
            bundle.name,
            kiosk / "downloads",
            (repo / "metadata" / "1.root.json").read_bytes(),
        ).path.read_bytes()

    with serving_folder(repo) as url:
        assert fetch(url) == bundle.read_bytes()
        from central.updates import keys

        keys.generate(tmp_path / "new-timestamp.pem")
        out = central(
            "rotate",
            "timestamp",
            str(tmp_path / "new-timestamp.pem"),
            "--repo",
            str(repo),
            "--keys",
            str(keys_dir),
        )
        assert "root version 2" in out
        assert fetch(url) == bundle.read_bytes()  # the kiosk followed to the new root and key


def test_building_a_release_and_its_delta_from_the_command_line(tmp_path):
    from central.updates.bundle import read_manifest

    first = central("build", "--version", "3.0.0", "--out", str(tmp_path), "--no-dependencies")
    assert "palvelupiste-3.0.0.tar" in first
    base = tmp_path / "palvelupiste-3.0.0.tar"
    manifest = read_manifest(base)
    assert manifest["version"] == "3.0.0" and manifest["lock"] == []
    assert {"wheels/palvelupiste-3.0.0-py3-none-any.whl", "units/kiosk-ui.service"} <= set(
        manifest["files"]
    )
    second = central(
        "build", "--version", "3.1.0", "--out", str(tmp_path), "--no-dependencies",
        "--base", str(base),
    )  # fmt: skip
    assert "palvelupiste-3.1.0-from-3.0.0.tar" in second
    delta = read_manifest(tmp_path / "palvelupiste-3.1.0-from-3.0.0.tar")
    assert delta["from_base"]["version"] == "3.0.0"
    # A bad version is refused with a message, not a traceback.
    refused = subprocess.run(
        [sys.executable, "-m", "central.cli", "release", "build", "--version", "../x",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "is not a release version" in refused.stdout and "Traceback" not in refused.stderr


def test_a_bundle_builds_where_only_the_kiosks_packages_are(tmp_path):
    """images/build.sh --arch arm64 builds the bundle in a build root with the kiosk's
    packages only: `python -m central.updates.cli` must not need central's server."""
    server_only = ("sqlalchemy", "fastapi", "uvicorn", "psycopg", "central.db", "central.api")
    program = (
        "import runpy, sys\n"
        f"for name in {server_only!r}:\n"
        "    sys.modules[name] = None  # importing it now fails\n"
        "runpy.run_module('central.updates.cli', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "build", "--version", "2.0.1",
         "--out", str(tmp_path), "--source", str(ROOT), "--no-dependencies"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "palvelupiste-2.0.1.tar").exists()
    assert "1 wheels" in done.stdout


def test_a_bundle_is_built_from_its_lock_with_an_sbom_published_beside_it(tmp_path):
    """The bundle takes its dependencies from the source's requirements/kiosk.lock (each
    file checked against the lock's hash), not from the build machine's environment;
    it carries a CycloneDX SBOM of every wheel in it, which `release add` publishes."""
    import json
    import shutil
    import tarfile

    from central.updates.bundle import read_manifest

    source = tmp_path / "source"
    for part in ("contract", "central", "kiosk", "hardware", "provisioning", "systemd"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", source / "pyproject.toml")
    (source / "requirements").mkdir()
    real = (ROOT / "requirements" / "kiosk.lock").read_text()
    polib = real[real.index("polib==") :].split("\n    # via")[0]
    (source / "requirements" / "kiosk.lock").write_text(polib + "\n")
    out = tmp_path / "out"
    central("build", "--version", "4.0.0", "--out", str(out), "--source", str(source))
    bundle = out / "palvelupiste-4.0.0.tar"
    manifest = read_manifest(bundle)
    assert manifest["lock"] == ["polib==1.2.0"]
    wheels = sorted(n for n in manifest["files"] if n.startswith("wheels/"))
    assert [w.split("/")[1].split("-")[0] for w in wheels] == ["palvelupiste", "polib"]
    with tarfile.open(bundle) as tar:
        bill = json.load(tar.extractfile("sbom.cdx.json"))
    assert bill["bomFormat"] == "CycloneDX" and bill["specVersion"] == "1.5"
    assert bill["metadata"]["component"]["version"] == "4.0.0"
    listed = {c["purl"]: c for c in bill["components"]}
    assert set(listed) == {"pkg:pypi/palvelupiste@4.0.0", "pkg:pypi/polib@1.2.0"}
    for component in listed.values():
        file = component["properties"][0]["value"]
        assert component["hashes"][0]["content"] == manifest["files"][file]["sha256"]
    assert listed["pkg:pypi/polib@1.2.0"]["licenses"]  # from the wheel's own metadata
    assert "sbom.cdx.json" in manifest["files"]

    # A lock whose hash does not match what the index serves builds nothing.
    (source / "requirements" / "kiosk.lock").write_text(
        "polib==1.2.0 --hash=sha256:" + "0" * 64 + "\n"
    )
    refused = subprocess.run(
        [sys.executable, "-m", "central.cli", "release", "build", "--version", "4.0.1",
         "--out", str(out), "--source", str(source)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert refused.returncode == 1 and "HASHES" in refused.stdout.upper()
    assert not (out / "palvelupiste-4.0.1.tar").exists()

    # Published: the bundle and its SBOM, both signed targets.
    keys, repo = tmp_path / "keys", tmp_path / "repo"
    central("keys", "--dir", str(keys))
    central("init", "--repo", str(repo), "--keys", str(keys))
    said = central("add", str(bundle), "--repo", str(repo), "--keys", str(keys))
    assert "palvelupiste-4.0.0.tar.cdx.json" in said
    published = repo / "targets" / "palvelupiste-4.0.0.tar.cdx.json"
    assert json.loads(published.read_text())["serialNumber"] == bill["serialNumber"]
    targets = json.loads((repo / "metadata" / "targets.json").read_text())["signed"]["targets"]
    assert {"palvelupiste-4.0.0.tar", "palvelupiste-4.0.0.tar.cdx.json"} <= set(targets)
