"""The kiosk's installed releases: `releases/<version>/` each with its own venv, and two
symlinks, `current` (what the units run) and `committed` (the last release that passed
its health gate; the updater itself runs from it, so a broken release can never break
the updater).

A release directory is complete only once its `.installed` marker exists: the marker is
written last, so a directory without it (a kill mid-install) is removed and installed
again. Symlinks are switched by renaming a new link over the old one, which is atomic.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.release import MANIFEST, file_sha256, python_tag
from kiosk.update import children
from kiosk.update.journal import fsync_dir

MARKER = ".installed"
INSTALL_GROUP = ".install-group"
INSTALL_TIMEOUT_S = 1200
SMOKE_TIMEOUT_S = 120


class InstallFailed(Exception):
    """The bundle could not be installed; `reason` is a short code for central."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Installed:
    version: str
    path: Path
    manifest: dict[str, Any]


def base_python() -> str:
    """The system interpreter the running venv was made from: release venvs use it too."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


class ReleaseShelf:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, version: str) -> Path:
        return self.root / version

    def installed(self, version: str) -> bool:
        return (self.path(version) / MARKER).exists()

    def manifest(self, version: str) -> dict[str, Any]:
        try:
            manifest: dict[str, Any] = json.loads((self.path(version) / MANIFEST).read_text())
            return manifest
        except (OSError, ValueError):
            return {}

    def versions(self) -> list[str]:
        """Installed releases, oldest install first."""
        if not self.root.exists():
            return []
        found = [
            p
            for p in self.root.iterdir()
            if p.name not in LINKS and not p.name.startswith(".") and (p / MARKER).exists()
        ]
        return [p.name for p in sorted(found, key=lambda p: (p / MARKER).stat().st_mtime)]

    # --- the two links ---------------------------------------------------------------

    def link(self, name: str) -> str | None:
        try:
            return os.readlink(self.root / name)
        except OSError:
            return None

    def point(self, name: str, version: str) -> None:
        """`name` → `version`, atomically: there is never a moment without the link."""
        if self.link(name) == version:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fresh = self.root / f".{name}.new"
        fresh.unlink(missing_ok=True)
        os.symlink(version, fresh)
        os.replace(fresh, self.root / name)
        fsync_dir(self.root)

    @staticmethod
    def version_of(folder: Path) -> str | None:
        """The version of a complete release installed in `folder` (its marker's)."""
        try:
            return (folder / MARKER).read_text().strip() or None
        except OSError:
            return None

    def adopt(self, version: str, folder: Path) -> None:
        """Take a release installed elsewhere (the image's factory release in
        /opt/palvelupiste) onto the shelf, as a link to it."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(version)
        if not target.exists():
            os.symlink(folder, target)
        fsync_dir(self.root)

    # --- installing ---------------------------------------------------------------------

    def install(self, bundle: Path, version: str) -> Installed:
        """Unpack `bundle`, check each file against its manifest, make the venv, install
        the wheels offline and prove the release starts (`kiosk-agent --version`)."""
        target = self.path(version)
        if self.installed(version):
            return Installed(version, target, self.manifest(version))
        children.end_group(self.root / INSTALL_GROUP)  # a killed updater's install
        try:
            if target.is_symlink():
                target.unlink()
            elif target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
        except OSError as exc:
            raise InstallFailed(
                "install_failed", f"an interrupted install cannot be cleared yet: {exc}"
            ) from exc
        manifest = self._unpack(bundle, version, target)
        self._take_from_base(manifest, target)
        venv = target / "venv"
        # The venv gets its own pip (the system's ensurepip): a release installs the next
        # one with it, and no release depends on pip being in another.
        self._run([base_python(), "-m", "venv", str(venv)], "venv_failed")
        wheels = sorted(str(p) for p in (target / "wheels").glob("*.whl"))
        self._run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--no-deps",
             "--disable-pip-version-check", "-q", *wheels],
            "install_failed",
        )  # fmt: skip
        said = self._run([str(venv / "bin" / "kiosk-agent"), "--version"], "release_broken")
        if said.strip() != version:
            raise InstallFailed(
                "release_broken", f"the release says it is {said.strip()!r}, not {version}"
            )
        # The wheels stay: the next release's delta bundle takes its unchanged ones from here.
        marker = target / MARKER
        marker.write_text(version)
        with marker.open("rb") as f:
            os.fsync(f.fileno())
        fsync_dir(target)
        return Installed(version, target, manifest)

    def _unpack(self, bundle: Path, version: str, target: Path) -> dict[str, Any]:
        try:
            with tarfile.open(bundle) as tar:
                manifest: dict[str, Any] = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
                self._check_manifest(manifest, version)
                listed = set(manifest["files"]) | {MANIFEST}
                members = [m for m in tar.getmembers() if m.name in listed and m.isfile()]
                tar.extractall(target, members=members, filter="data")
        except (tarfile.TarError, KeyError, ValueError, TypeError) as exc:
            raise InstallFailed("bad_bundle", f"the bundle cannot be read: {exc}") from exc
        for name, want in manifest["files"].items():
            path = target / name
            if not path.is_file() or path.stat().st_size != want["length"]:
                raise InstallFailed("bad_bundle", f"{name} is missing or of the wrong length")
            if file_sha256(path) != want["sha256"]:
                raise InstallFailed("bad_bundle", f"{name} does not match its manifest hash")
        return manifest

    def _take_from_base(self, manifest: dict[str, Any], target: Path) -> None:
        """A delta bundle's unchanged wheels, from the base release on this shelf (hard
        links: no extra space), each checked against the signed manifest's hash."""
        base = manifest.get("from_base")
        if not base:
            return
        source = self.path(str(base.get("version")))
        for name, want in base.get("files", {}).items():
            have = source / name
            if not have.is_file() or file_sha256(have) != want["sha256"]:
                raise InstallFailed(
                    "needs_full_bundle",
                    f"this kiosk has no {name} of release {base.get('version')} to build on",
                )
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(have, target / name)
            except OSError:
                shutil.copy2(have, target / name)

    @staticmethod
    def _check_manifest(manifest: dict[str, Any], version: str) -> None:
        if manifest.get("version") != version:
            raise InstallFailed(
                "bad_bundle", f"the bundle holds {manifest.get('version')}, not {version}"
            )
        if manifest.get("python") != python_tag():
            raise InstallFailed(
                "wrong_platform",
                f"the bundle is for {manifest.get('python')}, this kiosk runs {python_tag()}",
            )
        if manifest.get("machine") != platform.machine():
            raise InstallFailed(
                "wrong_platform",
                f"the bundle is for {manifest.get('machine')}, this kiosk is {platform.machine()}",
            )

    def _run(self, argv: list[str], reason: str) -> str:
        """Each install step in a process group of its own, named in INSTALL_GROUP."""
        try:
            done = children.run(argv, INSTALL_TIMEOUT_S, self.root / INSTALL_GROUP)
        except OSError as exc:
            raise InstallFailed(reason, f"{argv[0]} failed: {exc}") from exc
        except subprocess.TimeoutExpired:
            raise InstallFailed(reason, f"{argv[0]} took too long") from None
        if done.returncode != 0:
            raise InstallFailed(reason, f"{' '.join(argv[:4])}: {done.stderr.strip()[-800:]}")
        return done.stdout

    # --- keeping the disk bounded ------------------------------------------------------

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Remove the oldest releases beyond `keep`, never one in `protect`; and any
        half-installed directory left by a kill."""
        removed = []
        if self.root.exists():
            for p in self.root.iterdir():
                if p.name in LINKS or p.name.startswith("."):
                    continue
                if not (p / MARKER).exists() and p.name not in protect and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p.name)
        versions = self.versions()
        for version in versions[: max(0, len(versions) - keep)]:
            if version in protect:
                continue
            path = self.path(version)
            path.unlink() if path.is_symlink() else shutil.rmtree(path, ignore_errors=True)
            removed.append(version)
        return removed


LINKS = ("current", "committed")
