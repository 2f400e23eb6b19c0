"""A kiosk that updates for real: release bundles built from this source tree by
`central release build` (some with a change: a UI that crashes, a new migration),
published in a TUF repository served by a real central, installed by the real updater
into release venvs, and run as real processes by devtools/units.py (systemd's stand-in:
systemd cannot run in the CI container).

The release venvs share one dependency layer: a bundle here carries the application
wheel and a tiny wheel whose .pth points at the test environment's site-packages, so a
release installs in seconds instead of unpacking 150 MB of Kivy, PyAV and OpenCV each
time. The full bundle, with every locked dependency, is built and measured by
bench/update.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from securesystemslib.signer import Signer

from central.updates import bundle, keys
from central.updates.repository import ReleaseRepository
from devtools.central_server import RunningCentral
from devtools.central_world import ok
from kiosk.store import StateStore, schema_of
from kiosk.update.journal import UpdateJournal
from kiosk.update.releases import ReleaseShelf

REPO_ROOT = Path(__file__).resolve().parents[1]
FACTORY = "0.1.0"


def layer_wheel(folder: Path) -> Path:
    """A wheel holding only a .pth: the test environment's packages, for release venvs."""
    name = "palvelupiste_test_layer"
    return data_wheel(folder, name, {f"{name}.pth": sysconfig.get_paths()["purelib"] + "\n"})


def ballast_wheel(folder: Path, megabytes: int) -> Path:
    """A wheel of random bytes: a release as large as a real one, for the disk tests."""
    name = "palvelupiste_test_ballast"
    return data_wheel(folder, name, {f"{name}/data.bin": os.urandom(megabytes * 2**20)})


def data_wheel(folder: Path, name: str, content: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    version = "1.0"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    files: dict[str, str | bytes] = {
        **content,
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for arcname, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            # A fixed date: the same wheel built twice is the same bytes (delta bundles).
            wheel.writestr(zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0)), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arcname},sha256={digest.decode()},{len(data)}")
        record.append(f"{name}-{version}.dist-info/RECORD,,")
        wheel.writestr(
            zipfile.ZipInfo(f"{name}-{version}.dist-info/RECORD", date_time=(2026, 1, 1, 0, 0, 0)),
            "\n".join(record) + "\n",
        )
    return path


Change = tuple[str, tuple[str, str]]


def build_release(
    workdir: Path,
    version: str,
    changes: tuple[Change, ...] = (),
    extra: tuple[Path, ...] = (),
    base: Path | None = None,
) -> Path:
    """`central release build` of this source tree, with `changes` ((file, (old, new)),
    …) made to a copy first; with `base`, the delta from that release's bundle."""
    source = REPO_ROOT
    if changes:
        source = workdir / f"source-{version}"
        if not source.exists():
            source.mkdir(parents=True)
            for part in bundle.SOURCE_PARTS + ("systemd",):
                origin = REPO_ROOT / part
                if origin.is_dir():
                    shutil.copytree(
                        origin, source / part, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy2(origin, source / part)
            for name, (old, new) in changes:
                text = (source / name).read_text()
                assert old in text, f"{old!r} is not in {name}"
                (source / name).write_text(text.replace(old, new, 1))
    built = bundle.build(
        source,
        version,
        workdir / "bundles",
        with_dependencies=False,
        extra_wheels=(layer_wheel(workdir / "layer"), *extra),
    )
    if base is not None:
        return bundle.delta(built.path, base, workdir / "bundles").path
    return built.path


ONLINE_ROLES = ("snapshot", "timestamp")


@dataclass
class ReleaseRepo:
    repo: ReleaseRepository
    keys_dir: Path

    def publish(self, bundle_path: Path) -> None:
        snapshot, timestamp = (keys.load(self.keys_dir / f"{r}.pem") for r in ONLINE_ROLES)
        self.repo.add_release(
            bundle_path, keys.load(self.keys_dir / "targets.pem"), snapshot, timestamp
        )

    @property
    def root(self) -> Path:
        return self.repo.metadata / "1.root.json"


def make_repository(folder: Path) -> ReleaseRepo:
    keys_dir = folder / "keys"
    roots: list[Signer] = [keys.generate(keys_dir / f"root-{n}.pem") for n in (1, 2)]
    online = {r: keys.generate(keys_dir / f"{r}.pem") for r in ("targets", "snapshot", "timestamp")}
    repo = ReleaseRepository(folder / "repo")
    repo.create(roots, 2, online["targets"], online["snapshot"], online["timestamp"])
    return ReleaseRepo(repo, keys_dir)


@dataclass
class Kiosk:
    """One kiosk's state directory with the factory release installed and committed."""

    state_dir: Path
    central: str
    trusted_root: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def shelf(self) -> ReleaseShelf:
        return ReleaseShelf(self.state_dir / "releases")

    @property
    def pidfile(self) -> Path:
        return self.state_dir / "units.pid"

    def bin(self, name: str, link: str = "current") -> str:
        return str(self.state_dir / "releases" / link / "venv" / "bin" / name)

    def journal(self) -> UpdateJournal:
        return UpdateJournal.load(self.state_dir / "update" / "journal.json")

    def store(self) -> StateStore:
        """state.db as the releases share it (made if new, never migrated past here)."""
        path = self.state_dir / "state.db"
        return StateStore(path, migrate=not path.exists() or schema_of(path)[0] == 0)

    def units_command(self) -> str:
        return f"{sys.executable} -m devtools.units control --pidfile {self.pidfile} {{verb}}"

    def start_units(self, ui: bool = False, env: dict[str, str] | None = None) -> None:
        """The kiosk's units, each through the `current` link, as the unit files say."""
        units = [
            f"agent={self.bin('kiosk-agent')} --state-dir {self.state_dir} run "
            "--heartbeat-interval 1 --sync-interval 30 --update-command ''"
        ]
        if ui:
            units.append(
                f"ui={self.bin('kiosk-ui')} run --windowed --size 800x600 "
                f"--state-dir {self.state_dir} "
                f"--scratch-dir {self.state_dir / 'scratch'}"
            )
        argv = [sys.executable, "-m", "devtools.units", "run", "--pidfile", str(self.pidfile)]
        for unit in units:
            argv += ["--unit", unit]
        self.processes.append(
            subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(self.state_dir / "units.log").open("ab"),
            )  # fmt: skip
        )
        wait_until(lambda: self.pidfile.exists(), 20, "the units did not start")

    def updater_argv(
        self, *extra: str, gate_timeout: float = 40, gate_stable: float = 2
    ) -> list[str]:
        return [
            self.bin("kiosk-update", link="committed"),
            "--state-dir", str(self.state_dir),
            "--central", self.central,
            "--trusted-root", str(self.trusted_root),
            "run",
            "--units-command", self.units_command(),
            "--gate-timeout", str(gate_timeout),
            "--gate-stable", str(gate_stable),
            *extra,
        ]  # fmt: skip

    def update(self, *extra: str, timeout: float = 180, **gate: float) -> str:
        """One updater pass, from the committed release, to its end."""
        done = subprocess.run(
            self.updater_argv(*extra, **gate),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.processes.clear()

    def wish(self, version: str, url: str | None = None) -> None:
        """What the agent writes when central's heartbeat names a release."""
        store = self.store()
        store.set_state("update.desired", {"version": version, "deployment": None, "url": url})
        store.close()


def install_factory(state_dir: Path, bundle_path: Path) -> None:
    shelf = ReleaseShelf(state_dir / "releases")
    shelf.install(bundle_path, FACTORY)
    shelf.point("current", FACTORY)
    shelf.point("committed", FACTORY)
    UpdateJournal(committed=FACTORY).save(state_dir / "update" / "journal.json")


def enrolled_kiosk(
    central: RunningCentral, technician: str, site_id: str, state_dir: Path, root: Path
) -> Kiosk:
    """Enrolled through the factory release's own `kiosk-agent enrol`."""
    token = ok(
        central.request("POST", f"/sites/{site_id}/enrollment-tokens", technician, json={}), 201
    )["token"]
    agent = state_dir / "releases" / "current" / "venv" / "bin" / "kiosk-agent"
    subprocess.run(
        [str(agent), "--state-dir", str(state_dir), "enrol", "--central", central.base,
         "--token", token, "--hardware-id", f"hw-{state_dir.name}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return Kiosk(state_dir, central.base, root)


def wait_until(condition: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message)


def credentials(state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / "credentials.json").read_text())
