"""The update duty: from "central wants release V here" to V committed, or rolled back.

One pass (`Updater.run_once`) does whatever the journal and the wish allow next:

1. download the bundle (TUF-verified, resumable) when the disk has 2 × its size + 100 MB;
2. install it into `releases/V/` with its own venv;
3. wait until no citizen is being served (and the site's maintenance window, if set);
4. stop the units, snapshot state.db, let V migrate it (no health timer runs during a
   migration), point `current` at V, start the units;
5. the health gate (kiosk/update/gate.py): all signs within the timeout, then stable;
   pass: `committed` → V; fail: back to the previous release (the snapshot restored when
   V's migration left state.db unreadable to it), V remembered as rolled back and never
   tried again by itself: no rollback loop.

The journal (kiosk/update/journal.py) is written before and after each step, so a kill at
any point resumes or reverts; `boot()` (a oneshot before the units) reverts a release that
was switched to but never committed. The updater runs from the committed release, never
from the one it is testing. Its progress feeds systemd's watchdog, and every download and
subprocess has a timeout, so it never hangs.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract.kiosk_config import in_window
from contract.release import RolloutState, bundle_name
from kiosk import config, device_status, watchdog
from kiosk import store as state_file
from kiosk.store import StateStore
from kiosk.update import children, gate, handover
from kiosk.update.journal import Phase, UpdateJournal
from kiosk.update.phases import UpdateEvent, UpdatePhase, next_phase, phase_of
from kiosk.update.releases import InstallFailed, ReleaseShelf

if TYPE_CHECKING:
    from tuf.api.metadata import TargetFile

    from kiosk.update.fetch import ReleaseSource

log = logging.getLogger("kiosk.update")

SPARE_BYTES = 100 * 1024 * 1024
MIGRATE_TIMEOUT_S = 1800
UNIT_TIMEOUT_S = 90


@dataclass
class UpdaterSettings:
    # Units to stop and start around a switch: "{verb}" becomes stop / start.
    units_command: list[str] = field(
        default_factory=lambda: [
            "systemctl", "{verb}", "kiosk-ui.service", "kiosk-agent.service"
        ]
    )  # fmt: skip
    keep_releases: int = 3
    require_ui: bool = True
    poll_s: float = 1.0
    # None: the site's configuration (update_gate_timeout_s / update_gate_stable_s).
    gate_timeout_s: float | None = None
    gate_stable_s: float | None = None
    trusted_root: Path | None = None
    # Seconds without a byte before a download is abandoned (the next pass resumes it).
    download_silence_s: float = 30.0


class Updater:
    def __init__(
        self,
        state_dir: Path,
        central_url: str | None,
        settings: UpdaterSettings | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state_dir = state_dir
        self.central_url = central_url
        self.settings = settings or UpdaterSettings()
        self.shelf = ReleaseShelf(state_dir / "releases")
        self.work = state_dir / "update"
        self.journal_path = self.work / "journal.json"
        self.clock = clock
        self.sleep = sleep
        self._store: StateStore | None = None

    # --- state.db, opened without migrating (another release may own its schema) -------

    @property
    def store(self) -> StateStore:
        if self._store is None:
            path = self.state_dir / "state.db"
            fresh = state_file.schema_of(path)[0] == 0 if path.exists() else True
            self._store = StateStore(path, migrate=fresh)
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def journal(self) -> UpdateJournal:
        return UpdateJournal.load(self.journal_path)

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """One updater at a time (the timer and the agent's nudge may overlap)."""
        self.work.mkdir(parents=True, exist_ok=True)
        with (self.work / "lock").open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    # --- one pass ----------------------------------------------------------------------

    def run_once(self) -> str:
        """Do the next step(s) an update allows; a line saying where things stand."""
        with self.exclusive() as mine:
            if not mine:
                return "another updater is running"
            try:
                return self._pass()
            finally:
                self._close_store()

    def _pass(self) -> str:
        # Downloading's modules (TUF, HTTP) only when a pass may download: the boot check
        # before the UI starts imports none of them (a second of a Pi's boot).
        from kiosk.update.fetch import UpdateRefused

        j = self.journal()
        self._repair_links(j)
        if j.units_stopped and j.phase == Phase.IDLE:
            self._units("start", j)
        if j.phase == Phase.SWITCHED:
            return self._gate(j)
        wish = self.store.get_state(handover.DESIRED) or {}
        version = wish.get("version")
        if not version or version == j.committed:
            return f"release {j.committed} is current"
        if version in j.rolled_back:
            self._report(version, RolloutState.ROLLED_BACK, j.rolled_back[version], wish)
            return f"release {version} was rolled back here before: {j.rolled_back[version]}"
        try:
            if not self.shelf.installed(version):
                self._download_and_install(version, wish, j.committed)
        except (UpdateRefused, InstallFailed) as exc:
            self._report(version, RolloutState.FAILED, f"{exc.reason}: {exc}", wish)
            return f"release {version} refused: {exc.reason}: {exc}"
        waiting = self._why_not_now()
        if waiting:
            self._report(version, RolloutState.INSTALLED, f"waiting: {waiting}", wish)
            return f"release {version} installed; waiting: {waiting}"
        return self._switch(j, version, wish)

    def _repair_links(self, j: UpdateJournal) -> None:
        """The links follow the journal (a kill between a link and the journal)."""
        if j.committed is None:
            current = self.shelf.link("current")
            if current is None:
                return
            j.committed = current
            j.save(self.journal_path)
        if self.shelf.link("committed") != j.committed:
            self.shelf.point("committed", j.committed)
        if j.phase == Phase.IDLE and self.shelf.link("current") != j.committed:
            self.shelf.point("current", j.committed)

    # --- download and install ----------------------------------------------------------

    def _download_and_install(
        self, version: str, wish: dict[str, Any], committed: str | None
    ) -> None:
        """The delta from the release this kiosk runs when the repository has one (a few
        MB instead of every dependency), else, or when its base is missing here, the
        full bundle; one metadata refresh for both."""
        from kiosk.update.fetch import ReleaseSource

        base = wish.get("url") or f"{(self.central_url or '').rstrip('/')}/updates"
        root = self.settings.trusted_root
        # The root this kiosk was built with, until it holds (newer) trusted metadata.
        known = (self.work / "metadata" / "root.json").exists()
        trusted = root.read_bytes() if root and root.exists() and not known else None
        source = ReleaseSource(
            self.work / "metadata", base, trusted, self.settings.download_silence_s
        )
        self._report(version, RolloutState.DOWNLOADING, "checking the signed metadata", wish)
        delta = self._delta_target(source, version, committed)
        if delta is not None:
            try:
                return self._fetch_and_install(source, delta, version, wish)
            except InstallFailed as exc:
                if exc.reason != "needs_full_bundle":
                    raise
        full = source.target(wish.get("target") or bundle_name(version))
        self._fetch_and_install(source, full, version, wish)

    def _fetch_and_install(
        self, source: ReleaseSource, info: TargetFile, version: str, wish: dict[str, Any]
    ) -> None:
        from kiosk.update.fetch import UpdateRefused

        downloads = self.work / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        for stale in downloads.iterdir():  # other bundles' leftovers
            if not stale.name.startswith(Path(info.path).name):
                stale.unlink(missing_ok=True)
        have = sum(p.stat().st_size for p in downloads.iterdir())
        need = 2 * info.length + SPARE_BYTES - have
        free = shutil.disk_usage(self.state_dir).free
        if free < need:
            raise UpdateRefused(
                "no_space",
                f"{free // 2**20} MB free, {need // 2**20} MB needed (2 × the bundle + 100 MB)",
            )
        last = [0.0]

        def progress(done: int) -> None:
            watchdog.notify("WATCHDOG=1")
            if self.clock() - last[0] > 5:
                last[0] = self.clock()
                self._report(
                    version,
                    RolloutState.DOWNLOADING,
                    f"{done * 100 // max(1, info.length)} %",
                    wish,
                )

        verified = source.download(info, downloads, on_progress=progress)
        self._report(version, RolloutState.DOWNLOADING, "installing", wish)
        watchdog.notify("WATCHDOG=1")
        try:
            self.shelf.install(verified.path, version)
        finally:
            verified.path.unlink(missing_ok=True)
        self._report(version, RolloutState.INSTALLED, "installed", wish)

    def _delta_target(
        self, source: ReleaseSource, version: str, committed: str | None
    ) -> TargetFile | None:
        from kiosk.update.fetch import UpdateRefused

        if not committed or not self.shelf.installed(committed):
            return None
        try:
            return source.target(bundle_name(version, committed))
        except UpdateRefused as exc:
            if exc.reason == "unknown_release":
                return None
            raise

    def _why_not_now(self) -> str:
        if self.store.get_state("ui.session_active", False):
            return "a citizen is being served"
        window = config.current(self.store).maintenance_window
        if not in_window(window, datetime.now().time()):
            return f"outside the maintenance window {window}"
        return ""

    # --- switch, gate, commit or roll back ----------------------------------------------

    def _move(self, j: UpdateJournal, event: UpdateEvent) -> UpdatePhase:
        """The phase `event` leads to from where the update is (phases.TRANSITIONS); a
        move the table does not have is a bug and raises before anything changes."""
        now = phase_of(j, self.shelf.link("current"))
        after = next_phase(now, event)
        log.info("update to %s: %s → %s (%s)", j.trying, now, after, event)
        return after

    def _switch(self, j: UpdateJournal, version: str, wish: dict[str, Any]) -> str:
        self._move(j, UpdateEvent.SWITCH)
        self._report(version, RolloutState.SWITCHING, "switching", wish)
        faults_before = gate.faults(self.store)
        snapshot = self.work / "snapshots" / f"state-before-{version}.db"
        db_path = self.state_dir / "state.db"
        self._units("stop", j)
        self._close_store()
        state_file.snapshot(db_path, snapshot)
        j.phase, j.trying, j.previous = Phase.SWITCHED, version, j.committed
        j.deployment, j.snapshot, j.faults_before = (
            wish.get("deployment"),
            str(snapshot),
            faults_before,
        )
        j.outcome = None
        j.reset_gate()
        j.save(self.journal_path)  # from here a kill resumes the gate, a reboot reverts
        return self._gate(j)  # migrates, switches `current`, starts the units, checks

    def _migrate(self, version: str) -> str:
        """The new release migrates state.db before it runs (no health timer meanwhile);
        an error message, or "" when it is done."""
        argv = [str(self.shelf.path(version) / "venv" / "bin" / "kiosk-agent"),
                "--state-dir", str(self.state_dir), "migrate-state"]  # fmt: skip
        try:
            done = children.run(argv, MIGRATE_TIMEOUT_S)
        except OSError as exc:
            return f"the release cannot run: {exc}"
        except subprocess.TimeoutExpired:
            return "migrating state.db took longer than 30 minutes"
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            return f"migrating state.db failed: {output[-300:]}"
        return ""

    def _gate_timeout(self) -> float:
        fixed = self.settings.gate_timeout_s
        return fixed if fixed is not None else config.current(self.store).update_gate_timeout_s

    def _gate_stable(self) -> float:
        fixed = self.settings.gate_stable_s
        return fixed if fixed is not None else config.current(self.store).update_gate_stable_s

    def _gate(self, j: UpdateJournal) -> str:
        version = j.trying or ""
        wish = {"version": version, "deployment": j.deployment}
        if j.gate_started is None:  # just switched, or killed before the units started
            if self.shelf.link("current") != version:  # not migrated yet
                migrated = self._migrate(version)
                if migrated:
                    return self._roll_back(j, migrated, UpdateEvent.MIGRATION_FAILED)
                self._move(j, UpdateEvent.MIGRATED)
                self.shelf.point("current", version)
            self._move(j, UpdateEvent.UNITS_STARTED)
            now = self.clock()
            j.gate_started, j.gate_deadline = now, now + self._gate_timeout()
            self._units("start", j)
        elif j.units_stopped:
            self._units("start", j)
        stable = self._gate_stable()
        assert j.gate_deadline is not None and j.gate_started is not None
        self._report(version, RolloutState.SWITCHING, "health check", wish)
        while True:
            watchdog.notify("WATCHDOG=1")
            now = self.clock()
            reading = gate.read(
                self.store,
                version,
                j.gate_started,
                j.faults_before,
                require_ui=self.settings.require_ui,
                now=now,
            )
            crashed = (
                j.stable_since is not None
                and self.settings.require_ui
                and reading.ui_since != j.ui_since
            )
            if reading.healthy and not crashed:
                if j.stable_since is None:
                    self._move(j, UpdateEvent.HEALTHY)
                    j.stable_since, j.ui_since = now, reading.ui_since
                    j.save(self.journal_path)
                elif now - j.stable_since >= stable:
                    return self._commit(j, UpdateEvent.STABLE_LONG_ENOUGH)
            else:
                why = "the UI restarted during the stable period" if crashed else reading.missing
                if now > j.gate_deadline or crashed:
                    event = UpdateEvent.UI_RESTARTED if crashed else UpdateEvent.DEADLINE_PASSED
                    return self._roll_back(j, f"health check failed: {why}", event)
                if j.stable_since is not None:
                    self._move(j, UpdateEvent.UNHEALTHY)
                    j.stable_since = None
                    j.save(self.journal_path)
            self.sleep(self.settings.poll_s)

    def _commit(self, j: UpdateJournal, event: UpdateEvent) -> str:
        self._move(j, event)
        version = j.trying or ""
        self.shelf.point("committed", version)
        previous, snapshot = j.previous, j.snapshot
        j.committed, j.phase, j.trying, j.outcome = version, Phase.IDLE, None, "committed"
        j.reset_gate()
        j.snapshot = None
        j.save(self.journal_path)
        if snapshot:
            Path(snapshot).unlink(missing_ok=True)
        self.shelf.prune(self.settings.keep_releases, {version, previous or version})
        self._report(version, RolloutState.COMMITTED, "committed", {"deployment": j.deployment})
        log.info("release %s committed", version)
        return f"release {version} committed"

    def _roll_back(self, j: UpdateJournal, why: str, event: UpdateEvent) -> str:
        version, old = j.trying or "", j.previous
        log.error("rolling back %s to %s: %s", version, old, why)
        if old is None:  # nothing to go back to: keep the new one rather than nothing
            return self._commit(j, UpdateEvent.NOTHING_TO_GO_BACK_TO)
        self._move(j, event)
        self._units("stop", j)
        self._close_store()
        self.shelf.point("current", old)
        db_path = self.state_dir / "state.db"
        _schema, floor = state_file.schema_of(db_path) if db_path.exists() else (0, 0)
        reads_up_to = int(self.shelf.manifest(old).get("state_schema", 0))
        restored = ""
        if floor > reads_up_to and j.snapshot and Path(j.snapshot).exists():
            state_file.restore(Path(j.snapshot), db_path)
            restored = " (state.db restored from before the switch)"
        j.rolled_back[version] = why + restored
        j.last_rollback = {"gate_deadline": j.gate_deadline or 0.0}
        j.phase, j.trying, j.outcome = Phase.IDLE, None, "rolled_back"
        j.reset_gate()
        j.save(self.journal_path)
        if j.snapshot:
            Path(j.snapshot).unlink(missing_ok=True)
        self._units("start", j)  # saves the journal, with when the old release runs again
        j.last_rollback["done_at"] = self.clock()
        j.save(self.journal_path)
        self._report(
            version, RolloutState.ROLLED_BACK, why + restored, {"deployment": j.deployment}
        )
        return f"release {version} rolled back to {old}: {why}{restored}"

    def boot(self, factory: Path | None = None) -> str:
        """Before the units start: a release switched to but never committed is reverted
        (the kiosk lost power or was rebooted during its health check). On the first
        boot, the image's `factory` release becomes the current and committed one."""
        with self.exclusive():
            try:
                if factory is not None and self.shelf.link("current") is None:
                    return self._adopt_factory(factory)
                j = self.journal()
                if j.phase == Phase.SWITCHED:
                    self.settings.units_command = []  # the units have not started yet
                    return self._roll_back(
                        j,
                        "the kiosk restarted before the release was committed",
                        UpdateEvent.RESTARTED,
                    )
                self._repair_links(j)
                return f"release {j.committed} is current"
            finally:
                self._close_store()

    def _adopt_factory(self, factory: Path) -> str:
        version = self.shelf.version_of(factory)
        if version is None:
            return f"no release here and none installed in {factory}"
        self.shelf.adopt(version, factory)
        self.shelf.point("current", version)
        self.shelf.point("committed", version)
        UpdateJournal(committed=version).save(self.journal_path)
        return f"release {version} from {factory} is current"

    # --- helpers -----------------------------------------------------------------------

    def _units(self, verb: str, j: UpdateJournal) -> None:
        """Stop or start the kiosk's units, with the journal saying so first (stop) or
        after (start): whoever runs next knows whether they still need starting."""
        argv = [part.replace("{verb}", verb) for part in self.settings.units_command]
        if verb == "stop":
            j.units_stopped = True
            j.save(self.journal_path)
        if argv:
            self._run(argv)
        if verb == "start":
            j.units_stopped = False
            j.save(self.journal_path)

    @staticmethod
    def _run(argv: list[str]) -> None:
        try:
            subprocess.run(argv, timeout=UNIT_TIMEOUT_S, check=False, capture_output=True)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("%s failed: %s", argv, exc)

    def _report(self, version: str, state: str, detail: str, wish: dict[str, Any]) -> None:
        """What the next heartbeat tells central (and the agent is asked to beat soon)."""
        report = {
            "version": version,
            "state": state,
            "detail": detail[:500],
            "deployment": wish.get("deployment"),
            "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        try:
            before = self.store.get_state(handover.REPORT) or {}
            if {**before, "at": None} != {**report, "at": None}:
                self.store.set_state(handover.REPORT, report)
                device_status.request_report(self.store)
        except Exception as exc:  # noqa: BLE001 - a locked db must not stop an update
            log.warning("could not record the update report: %s", exc)
