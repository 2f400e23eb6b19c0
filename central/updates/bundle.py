"""Release bundles: one tar a kiosk installs without the network.

A bundle holds the application wheel (contract, kiosk, hardware, provisioning; central
comes along in the same wheel but a kiosk never imports it), every dependency as a
wheel at the version and hash the source's `requirements/kiosk.lock` pins (never what
the build machine has installed, nor what the index serves today), the kiosk's
systemd units, its SBOM (`sbom.cdx.json`, CycloneDX: central/updates/sbom.py), and
`manifest.json`: the version, the Python and CPU it was built for, the state.db schema
it migrates to, and each file's length and sha256. The tar itself is what TUF signs
(`central release add`); the manifest's hashes let the kiosk check each file again as
it installs. `delta()` makes the small bundle for kiosks already on the previous
release.

The build runs on a machine of the kiosk's Python and CPU architecture (a Debian arm64
box or container for Raspberry Pi kiosks): pyscard has no wheel on PyPI and is built
here, so cross-building would produce a bundle a kiosk refuses.
"""

from __future__ import annotations

import io
import json
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from central.updates import sbom
from contract.release import MANIFEST, bundle_name, file_sha256, python_tag

FORMAT = 1
UNITS = ("kiosk-agent.service", "kiosk-ui.service")
# The source a bundle is built from: what the wheel packages, plus what setuptools reads.
SOURCE_PARTS = ("contract", "central", "kiosk", "hardware", "provisioning", "pyproject.toml")
PIP_TIMEOUT_S = 1800


class BundleError(Exception):
    """The bundle cannot be built; the message says what to fix."""


@dataclass(frozen=True)
class Built:
    path: Path
    version: str
    size: int
    wheels: int


def read_manifest(bundle: Path) -> dict[str, Any]:
    with tarfile.open(bundle) as tar:
        member = tar.extractfile(MANIFEST)
        if member is None:
            raise BundleError(f"{bundle} has no {MANIFEST}")
        return json.load(member)


LOCK = Path("requirements") / "kiosk.lock"


def pins_of(lock: Path) -> list[str]:
    """`name==version` of every package a lock file pins."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s;\\]+)", lock.read_text(), re.M)
    return sorted(pins, key=str.lower)


def _pip(args: list[str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(
            [sys.executable, "-m", "pip", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=PIP_TIMEOUT_S,
        )
    if done.returncode != 0:
        tail = log.read_text()[-2000:]
        raise BundleError(f"pip {args[0]} failed:\n{tail}")


def _source_copy(source: Path, version: str, into: Path) -> Path:
    """The source with `version` written into contract/release.py: the wheel, the agent's
    heartbeat and the manifest then all say the same version."""
    copy = into / "source"
    copy.mkdir()
    for part in SOURCE_PARTS:
        origin = source / part
        if origin.is_dir():
            shutil.copytree(
                origin, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif origin.exists():
            shutil.copy2(origin, copy / part)
    release = copy / "contract" / "release.py"
    text = release.read_text()
    text, count = re.subn(r'^VERSION = "[^"]*"$', f'VERSION = "{version}"', text, flags=re.M)
    if count != 1:
        raise BundleError("contract/release.py has no VERSION line to set")
    release.write_text(text)
    return copy


def _state_schema(source: Path) -> int:
    """How many state.db migrations this release has: the updater compares it with a
    file's floor on rollback. Asked of the release's own code, in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", "from kiosk.store import MIGRATIONS; print(len(MIGRATIONS))"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
    )
    if done.returncode != 0:
        raise BundleError(f"cannot read kiosk/store.py's migrations: {done.stderr[-500:]}")
    return int(done.stdout.strip())


def build(
    source: Path,
    version: str,
    out_dir: Path,
    with_dependencies: bool = True,
    extra_wheels: tuple[Path, ...] = (),
    units_dir: Path | None = None,
) -> Built:
    """Build `palvelupiste-<version>.tar` in `out_dir` from the source tree at `source`.

    `with_dependencies=False` leaves the locked dependencies out: only for kiosks whose
    releases share a dependency layer installed some other way (the tests' kiosks)."""
    if not re.fullmatch(r"[0-9][0-9A-Za-z.+-]{0,40}", version):
        raise BundleError(f"{version!r} is not a release version (digits, letters, . + -)")
    units_dir = units_dir or source / "systemd"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "pip.log"
        stage = tmp / "stage"
        wheels = stage / "wheels"
        wheels.mkdir(parents=True)
        copy = _source_copy(source, version, tmp)
        _pip(["wheel", "--no-deps", "-q", "-w", str(wheels), str(copy)], log)
        lock: list[str] = []
        if with_dependencies:
            lock_file = source / LOCK
            if not lock_file.exists():
                raise BundleError(f"{lock_file} is missing: scripts/update_locks.sh writes it")
            lock = pins_of(lock_file)
            _pip(
                ["wheel", "--no-deps", "--require-hashes", "-q", "-w", str(wheels)]
                + ["-r", str(lock_file)],
                log,
            )
        for extra in extra_wheels:
            shutil.copy2(extra, wheels / extra.name)
        (stage / "units").mkdir()
        for unit in UNITS:
            if (units_dir / unit).exists():
                shutil.copy2(units_dir / unit, stage / "units" / unit)
        sbom.write(
            stage / sbom.NAME,
            sbom.document(sorted(wheels.glob("*.whl")), version, platform.machine(), python_tag()),
        )
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest = {
            "format": FORMAT,
            "version": version,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": python_tag(),
            "machine": platform.machine(),
            "state_schema": _state_schema(copy),
            "lock": lock,
            "files": {
                str(p.relative_to(stage)): {"length": p.stat().st_size, "sha256": file_sha256(p)}
                for p in files
            },
        }
        target = out_dir / bundle_name(version)
        with _writing(target, manifest) as tar:
            for path in files:
                tar.add(path, arcname=str(path.relative_to(stage)))
        count = len(list(wheels.glob("*.whl")))
    return Built(target, version, target.stat().st_size, count)


def delta(full: Path, base: Path, out_dir: Path) -> Built:
    """`palvelupiste-<V>-from-<U>.tar` from the full bundle of V and the one of U: the
    wheels U already has, byte for byte, are listed in the manifest (`from_base`) and
    left out; a kiosk running U takes them from its own copy of U, checked against the
    same hashes. Nothing is built again: the rest is the full bundle's own files."""
    manifest, earlier = read_manifest(full), read_manifest(base)
    had = {**earlier.get("from_base", {}).get("files", {}), **earlier["files"]}
    reused = {
        name: want
        for name, want in manifest["files"].items()
        if name.startswith("wheels/") and had.get(name, {}).get("sha256") == want["sha256"]
    }
    manifest["files"] = {n: w for n, w in manifest["files"].items() if n not in reused}
    manifest["from_base"] = {"version": earlier["version"], "files": reused}
    target = out_dir / bundle_name(manifest["version"], earlier["version"])
    with tarfile.open(full) as source, _writing(target, manifest) as tar:
        for member in source.getmembers():
            if member.name in manifest["files"]:
                tar.addfile(member, source.extractfile(member))
    wheels = sum(1 for n in [*manifest["files"], *reused] if n.startswith("wheels/"))
    return Built(target, manifest["version"], target.stat().st_size, wheels)


@contextmanager
def _writing(target: Path, manifest: dict[str, Any]) -> Iterator[tarfile.TarFile]:
    """A bundle written beside its name and renamed once complete, manifest first."""
    partial = target.with_suffix(".tar.partial")
    text = json.dumps(manifest, indent=1, sort_keys=True).encode()
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(text), int(datetime.now(UTC).timestamp())
        tar.addfile(info, io.BytesIO(text))
        yield tar
    partial.replace(target)
