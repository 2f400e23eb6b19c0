"""Updates: the bundle's size, download-to-committed time, and the UI's downtime while a
kiosk switches release, on real processes (central, agent, UI under Xvfb, the updater).

    .venv/bin/python -m bench.update            full bundles (every locked dependency)
    .venv/bin/python -m bench.update --quick    application-only bundles (the tests' layer)

Baselines measured in the same run: the bundle's size against the application wheel
alone, and the switch's downtime against a plain restart of the same UI (stop, start,
first frame), so the figures say what the update itself adds.
Targets (issue 17): bundle ≤ 50 MB, downtime ≤ 30 s, committed ≤ 5 min after download.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    from central.updates import bundle
    from devtools.central_server import start_central
    from devtools.central_world import add_user, make_org
    from devtools.kiosk_world import (
        FACTORY,
        Kiosk,
        build_release,
        enrolled_kiosk,
        install_factory,
        make_repository,
    )
    from devtools.virtual_display import kivy_display
except ImportError as exc:
    sys.exit(f"bench/update.py needs the test environment ({exc}); run ./run bench")

NEW = "0.2.0"


def full_bundle(work: Path, version: str) -> Path:
    return bundle.build(Path(__file__).resolve().parents[1], version, work / "full").path


class Watch:
    """Polls state.db and the journal every 50 ms, noting when things first happen."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def note(self, what: str) -> None:
        self.seen.setdefault(what, time.monotonic())

    def run(self) -> None:
        store = self.kiosk.store()
        while not self.stop.is_set():
            report = store.get_state("update.report") or {}
            if report.get("version") == NEW:
                self.note(report["state"])
            if self.kiosk.journal().units_stopped:
                self.note("units_stopped")
            ui = store.get_state("ui.alive") or {}
            if ui.get("version") == NEW:
                self.note("new_ui_frame")
            time.sleep(0.05)
        store.close()


def plain_restart(kiosk: Kiosk) -> float:
    """Stop and start the same UI: seconds until its first frame (the baseline)."""
    store = kiosk.store()
    before = (store.get_state("ui.alive") or {}).get("since")
    started = time.monotonic()
    for verb in ("stop", "start"):
        subprocess.run(kiosk.units_command().format(verb=verb).split(), check=True, timeout=60)
    while (store.get_state("ui.alive") or {}).get("since") == before:
        time.sleep(0.05)
    store.close()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="application-only bundles")
    args = parser.parse_args()
    if shutil.which("Xvfb") is None:
        sys.exit("bench/update.py needs Xvfb; ./run bench installs it")
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        app_only = build_release(work / "app", NEW)
        if args.quick:
            factory, new = build_release(work / "f", FACTORY), app_only
            delta = build_release(work / "d", NEW, base=factory)
        else:
            factory, new = full_bundle(work, FACTORY), full_bundle(work, NEW)
            delta = bundle.delta(new, factory, work / "full").path
        built_s = time.monotonic() - started
        size_mb = new.stat().st_size / 1e6
        delta_mb = delta.stat().st_size / 1e6
        app_mb = app_only.stat().st_size / 1e6
        kind = "app only" if args.quick else "full"
        print(f"bundle {new.name}: {size_mb:.1f} MB ({kind}), {size_mb / app_mb:.0f}× the "
              f"application alone ({app_mb:.2f} MB); built in {built_s:.0f} s")  # fmt: skip
        print(f"delta {delta.name} (what a kiosk on {FACTORY} downloads): {delta_mb:.1f} MB")
        repo = make_repository(work / "updates")
        repo.publish(new)
        repo.publish(delta)
        central = start_central(
            f"sqlite:///{work / 'central.db'}", update_repository=str(repo.repo.folder)
        )
        org = make_org(central, add_user(central, "national_admin", None), with_kiosk=False)
        install_started = time.monotonic()
        install_factory(work / "kiosk", factory)
        print(f"factory release installed in {time.monotonic() - install_started:.1f} s")
        kiosk = enrolled_kiosk(
            central, org.tokens["technician"], org.site_id, work / "kiosk", repo.root
        )
        try:
            with kivy_display():
                kiosk.start_units(ui=True)
                store = kiosk.store()
                while (store.get_state("ui.alive") or {}).get("version") != FACTORY:
                    time.sleep(0.1)
                store.close()
                restart_s = plain_restart(kiosk)
                watch = Watch(kiosk)
                watch.thread.start()
                kiosk.wish(NEW)
                began = time.monotonic()
                stable = 5 if args.quick else 60
                said = kiosk.update(timeout=1800, gate_timeout=150, gate_stable=stable)
                ended = time.monotonic()
                watch.stop.set()
                watch.thread.join()
        finally:
            kiosk.stop()
            central.stop()
        seen = watch.seen
        print(f"updater: {said}")
        if "committed" not in said:
            return 1
        installed = seen.get("installed") or seen["switching"]
        downtime = seen["new_ui_frame"] - seen["units_stopped"]
        print(f"download + install: {installed - began:.1f} s")
        print(f"UI downtime during the switch: {downtime:.1f} s "
              f"(a plain restart of the same UI: {restart_s:.1f} s; "
              f"{downtime / restart_s:.2f}×); target ≤ 30 s")  # fmt: skip
        print(f"download to committed: {ended - began:.1f} s, of which the {stable} s stable "
              f"period; target ≤ 300 s")  # fmt: skip
        print(f"downloaded bundle ≤ 50 MB: {'yes' if delta_mb <= 50 else 'NO'} "
              f"(delta {delta_mb:.1f} MB; the full bundle, for new kiosks and images: "
              f"{size_mb:.1f} MB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
