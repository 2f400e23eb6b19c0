"""The citizen UI over months: memory across 1,000 sessions, and cold start against Chromium.

1. Memory soak: the real KioskApp under Xvfb runs N whole citizen sessions
   (touch to start, language, search, a service, check-in by code, ticket,
   feedback, end and wipe). RSS after a 50-session warm-up is the baseline;
   growth at the end is reported. Target: < 5 %. Screens are driven through
   their own methods with a rendered frame between steps (the touch path is
   covered by tests/kiosk/ui); the thank-you pause is skipped.
2. Cold start and memory against Chromium in kiosk mode showing a static
   page like the home screen, in the same run on the same display:
   time from exec to the first frame (the UI's `ui.alive`, written once the
   first frame has been swapped to the screen; the page's load event), and
   PSS of the whole process tree (Chromium is several processes; PSS counts
   shared pages once). Each is started once to warm up, as a kiosk that has
   booted before (the UI's Kivy data directory, Chromium's profile; both keep
   them), then --runs times alternating; the medians are compared.
   Target: the UI at most 0.5× Chromium.

Usage: python -m bench.ui_soak [--sessions 1000] [--runs 5] [--no-soak]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

os.environ["KIVY_NO_ARGS"] = "1"  # before anything imports Kivy: our arguments are not Kivy's
os.environ["KIVY_LOG_MODE"] = "PYTHON"

from devtools.kiosk_state import make_state
from devtools.launcher import free_port
from devtools.virtual_display import start_virtual_display
from kiosk.store import StateStore

ROOT = Path(__file__).resolve().parents[1]

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
HOME_PAGE = """<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>loading</title>
<style>
body{margin:0;background:#F4F6F8;color:#1A1F24;font-family:Roboto,sans-serif;padding:24px}
nav{display:flex;gap:6px}nav button{flex:1;height:64px;font-size:22px}
button{background:#0B5394;color:#fff;border:0;border-radius:10px}
h1{font-size:32px}main{display:grid;grid-template-columns:1fr 1fr;gap:16px;height:580px}
main button{font-size:26px}
</style></head><body>
<nav><button>Alkuun</button><button>FI</button><button>SV</button><button>EN</button>
<button>A+</button><button>Kontrasti</button><button>Puhe</button><button>Lopeta</button></nav>
<h1>Mitä haluat tehdä?</h1>
<main><button>Etsi palvelu</button><button>Ilmoittaudu varaukseen</button>
<button>Ota vuoronumero</button><button>Skannaa asiakirjoja</button></main>
<script>addEventListener('load', () => { document.title = 'ready'; });</script>
</body></html>"""


def tree(pid: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) summed over the process tree, in KiB."""
    rss = pss = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def timed_start(
    name: str, command: list[str], display: str, is_up: Callable[[], bool]
) -> tuple[float, int, int]:
    """Seconds from exec until `is_up()`, then RSS and PSS once it has settled (3 s)."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        env=os.environ | {"DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not is_up():
            if time.monotonic() - started > 60:
                raise SystemExit(f"{name} did not start in 60 s")
            time.sleep(0.005)
        elapsed = time.monotonic() - started
        time.sleep(3)  # settled: the attract screen is up and animating
        rss, pss = memory_kib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return elapsed, rss, pss


def cold_start_ui(display: str, state_dir: Path) -> tuple[float, int, int]:
    """One start of `kiosk-ui` on an existing state directory, as a kiosk boots."""
    if not (state_dir / "state.db").exists():
        make_state(state_dir)
    store = StateStore(state_dir / "state.db")
    store.set_state("ui.alive", {"state": "down"})
    return timed_start(
        "the UI",
        [sys.executable, "-m", "kiosk.ui.cli", "run", "--state-dir", str(state_dir), "--windowed"],
        display,
        lambda: (store.get_state("ui.alive") or {}).get("state") == "attract",
    )


def cold_start_bare_kivy(display: str, state_dir: Path) -> tuple[float, int, int]:
    """One start of devtools/bare_kivy.py: Kivy's own share of the UI's cold start."""
    ready = state_dir / "ready"
    ready.unlink(missing_ok=True)
    return timed_start(
        "the bare Kivy app",
        [sys.executable, str(ROOT / "devtools" / "bare_kivy.py"), str(state_dir), str(ready)],
        display,
        ready.exists,
    )


def cold_start_chromium(display: str, work: Path) -> tuple[float, int, int]:
    """One start of Chromium in kiosk mode with the profile in `work`, as a kiosk boots."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise SystemExit("Chromium is not installed (./run bench installs it)")
    work.mkdir(parents=True, exist_ok=True)
    page = work / "home.html"
    page.write_text(HOME_PAGE, encoding="utf-8")
    port = free_port()  # not 9222: another Chromium may be using it
    started = time.monotonic()
    browser = subprocess.Popen(
        [
            binary,
            "--kiosk",
            "--no-first-run",
            "--no-default-browser-check",
            "--noerrdialogs",
            "--disable-gpu",
            "--no-sandbox",
            f"--user-data-dir={work / 'chromium-profile'}",
            f"--remote-debugging-port={port}",
            "--window-size=1280,800",
            page.as_uri(),
        ],
        env=os.environ | {"DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=(work / "chromium.log").open("wb"),
        start_new_session=True,  # its own process group: all its processes end with it
    )
    try:
        while True:
            if time.monotonic() - started > 60:
                log = (work / "chromium.log").read_text(errors="replace").splitlines()
                print("\n".join(line for line in log if "dbus" not in line)[-2000:])
                raise SystemExit("Chromium did not load the page in 60 s")
            try:
                with DIRECT.open(f"http://127.0.0.1:{port}/json/list", timeout=1) as r:
                    pages = json.load(r)
                    if any(
                        t.get("title") == "ready" and t.get("url") == page.as_uri() for t in pages
                    ):
                        break
            except (OSError, ValueError):
                pass  # not listening yet, or an answer cut short
            time.sleep(0.005)
        elapsed = time.monotonic() - started
        time.sleep(3)
        rss, pss = memory_kib(browser.pid)
    finally:
        os.killpg(browser.pid, signal.SIGTERM)
        try:
            browser.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
    return elapsed, rss, pss


def chromium_start(display: str, work: Path) -> tuple[float, int, int]:
    """A Chromium start; once in a while its DevTools never report the load: retry once."""
    try:
        return cold_start_chromium(display, work / "chromium")
    except SystemExit as exc:
        print(f"{exc}; trying again with a fresh profile")
        shutil.rmtree(work / "chromium", ignore_errors=True)
        return cold_start_chromium(display, work / "chromium")


def soak(sessions: int, display: str, work: Path) -> None:
    """Runs in its own process (one Kivy window per process)."""
    os.environ["DISPLAY"] = display
    import kiosk.ui.screens.feedback as feedback
    from devtools.ui_driver import UiDriver

    feedback.THANKS_S = 0  # the soak does not wait for people to read "thank you"
    ui = UiDriver(work)
    app = ui.app
    code = ui.bookings[0].code
    with app.store.transaction() as db:  # a code that works every time
        db.execute("UPDATE bookings SET status = 'booked'")

    def frame() -> None:
        ui.pump(0)

    def one_session(n: int) -> None:
        ui.tap_at(640, 400, hold_s=0)
        app.loaded["language"].choose(["fi", "sv", "en"][n % 3])
        frame()
        app.go("catalogue")
        catalogue = app.loaded["catalogue"]
        for char in "asu":
            catalogue.key(char)
            frame()
        first = catalogue.ids.results.children[-1]
        first.dispatch("on_activate")
        frame()
        app.go("checkin")
        checkin = app.loaded["checkin"]
        for char in code:
            checkin.key(char)
        checkin.submit()
        frame()
        app.go("ticket")
        ui.wait_until(lambda: app.loaded["ticket"].number, 10)
        app.finish()
        app.loaded["feedback"].answer(n % 5 + 1)
        ui.wait_until(lambda: app.manager.current == "attract", 10)
        with app.store.transaction() as db:  # keep state.db from growing: the agent's job
            db.execute("DELETE FROM outbox")
            db.execute("DELETE FROM checkins")
            db.execute("UPDATE bookings SET status = 'booked'")

    def rss_kib() -> int:
        return memory_kib(os.getpid())[0]

    warmup = min(50, sessions // 5)
    for n in range(warmup):
        one_session(n)
    baseline = rss_kib()
    started = time.monotonic()
    samples = []
    for n in range(warmup, sessions):
        one_session(n)
        if (n + 1) % max(1, sessions // 10) == 0:
            samples.append(rss_kib())
            print(f"  session {n + 1}: RSS {samples[-1] / 1024:.1f} MiB", flush=True)
    final = rss_kib()
    elapsed = time.monotonic() - started
    growth = (final - baseline) / baseline * 100
    print(
        f"sessions: {sessions} ({warmup} warm-up), "
        f"{elapsed / (sessions - warmup) * 1000:.0f} ms each"
    )
    print(
        f"RSS after warm-up {baseline / 1024:.1f} MiB, at the end {final / 1024:.1f} MiB: "
        f"growth {growth:+.2f} % (target < 5 %) -> {'PASS' if growth < 5 else 'FAIL'}"
    )
    ui.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="cold starts of each (median)")
    parser.add_argument("--no-soak", action="store_true", help="only the cold-start comparison")
    parser.add_argument("--soak-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--display", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a short run (the test suite's)")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.runs = 20, 1
    if args.soak_only:
        soak(args.sessions, args.display, args.work)
        return
    xvfb, display = start_virtual_display()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            print("== cold start and memory: kiosk UI against Chromium --kiosk, same display")
            print(
                f"   one start of each to warm up (the UI makes its Kivy data directory, "
                f"Chromium its profile), then {args.runs} alternating starts; medians"
            )
            ui_runs, bare_runs, chromium_runs = [], [], []
            for n in range(args.runs + 1):
                ui_runs.append(cold_start_ui(display, work / "ui-state"))
                bare_runs.append(cold_start_bare_kivy(display, work / "bare-state"))
                chromium_runs.append(chromium_start(display, work))
                print(
                    f"   {'warm-up' if n == 0 else f'run {n}'}: UI {ui_runs[-1][0]:.3f} s, "
                    f"bare Kivy {bare_runs[-1][0]:.3f} s, Chromium {chromium_runs[-1][0]:.3f} s"
                )
            ui, bare, chromium = (
                tuple(statistics.median(run[i] for run in runs[1:]) for i in range(3))
                for runs in (ui_runs, bare_runs, chromium_runs)
            )
            for name, what, figures in (
                ("kiosk UI ", "first frame", ui),
                ("bare Kivy", "first frame", bare),
                ("Chromium ", "page loaded", chromium),
            ):
                print(
                    f"{name}: {what} {figures[0]:.3f} s, RSS {figures[1] / 1024:.0f} MiB, "
                    f"PSS {figures[2] / 1024:.0f} MiB (all its processes)"
                )
            start_ratio, pss_ratio = ui[0] / chromium[0], ui[2] / chromium[2]
            verdict = "PASS" if max(start_ratio, pss_ratio) <= 0.5 else "FAIL"
            print(
                f"ratio UI/Chromium: start {start_ratio:.2f}x, PSS {pss_ratio:.2f}x "
                f"(target <= 0.5x) -> {verdict}"
            )
            print(
                f"ratio bare Kivy/Chromium: start {bare[0] / chromium[0]:.2f}x; "
                f"the UI over bare Kivy: start {ui[0] / bare[0]:.2f}x"
            )
            if args.no_soak:
                return
            print(f"== memory soak: {args.sessions} sessions in the real app")
            (work / "soak").mkdir()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.ui_soak",
                    "--soak-only",
                    "--sessions",
                    str(args.sessions),
                    "--display",
                    display,
                    "--work",
                    str(work / "soak"),
                ],
                check=True,
                timeout=3600,
                cwd=ROOT,
            )
    finally:
        xvfb.terminate()
        xvfb.wait(10)


if __name__ == "__main__":
    main()
