"""The updater against a full disk (a real tmpfs that fills up mid-download) and a wrong
clock (libfaketime at 1970 and five years ahead): it refuses, says why, leaves the old
release running, and goes on once there is room or the time is right."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devtools.central_server import start_central
from devtools.central_world import add_user, make_org
from devtools.kiosk_world import (
    FACTORY,
    Kiosk,
    ballast_wheel,
    build_release,
    enrolled_kiosk,
    install_factory,
    make_repository,
    wait_until,
)

pytestmark = pytest.mark.slow

GOOD = "0.2.0"
BALLAST_MB = 40
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


class SlowRanges(SimpleHTTPRequestHandler):
    """A static host that sends bundles slowly (so the disk can fill while one arrives)
    and honours `Range`, as central's /updates/ does. With `stall_once`, its first
    answer goes silent half way and holds the connection open."""

    stall_once = threading.Event()
    ranges: list[str] = []

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = Path(self.translate_path(self.path))
        if "/targets/" not in self.path or not path.is_file():
            return super().do_GET()
        size = path.stat().st_size
        start = 0
        asked = self.headers.get("Range", "")
        SlowRanges.ranges.append(asked)
        if asked.startswith("bytes="):
            start = int(asked[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with path.open("rb") as f:
            f.seek(start)
            try:
                while block := f.read(1 << 20):
                    self.wfile.write(block)
                    time.sleep(0.05)
                    if SlowRanges.stall_once.is_set() and f.tell() > size // 2:
                        SlowRanges.stall_once.clear()
                        self.wfile.flush()
                        time.sleep(30)  # silent, the connection held open
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    """A 260 MB tmpfs: the kiosk's state partition, small enough to fill."""
    mount = tmp_path / "state-partition"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=260m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("bundles")
    factory = build_release(work, FACTORY)
    big = build_release(work, GOOD, extra=(ballast_wheel(work / "ballast", BALLAST_MB),))
    return factory, big


@pytest.fixture
def world(tmp_path, disk, bundles) -> Iterator[tuple[Kiosk, str]]:
    factory, big = bundles
    repo = make_repository(tmp_path / "updates")
    repo.publish(big)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0),
        lambda *a: SlowRanges(*a, directory=str(repo.repo.folder)),  # type: ignore[misc]
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    central = start_central(f"sqlite:///{tmp_path / 'central.db'}")
    org = make_org(central, add_user(central, "national_admin", None), with_kiosk=False)
    install_factory(disk / "kiosk", factory)
    kiosk = enrolled_kiosk(
        central, org.tokens["technician"], org.site_id, disk / "kiosk", repo.root
    )
    kiosk.start_units()
    try:
        yield kiosk, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        kiosk.stop()
        server.shutdown()
        central.stop()


def fill_when_downloading(kiosk: Kiosk, disk: Path) -> threading.Thread:
    """Once the bundle starts arriving, fill the partition to the last byte."""

    def fill() -> None:
        downloads = kiosk.state_dir / "update" / "downloads"
        wait_until(lambda: any(downloads.glob("*.part")), 60, "no download started")
        with (disk / "filler").open("wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
            except OSError:
                pass

    thread = threading.Thread(target=fill, daemon=True)
    thread.start()
    return thread


def test_a_disk_that_fills_mid_download_leaves_the_old_release_running(world, disk):
    kiosk, slow_host = world
    kiosk.wish(GOOD, url=slow_host)
    filler = fill_when_downloading(kiosk, disk)
    said = kiosk.update("--no-ui-gate", gate_stable=1)
    filler.join(10)
    assert said.startswith(f"release {GOOD} refused: no_space: the disk filled up"), said
    assert kiosk.shelf.link("current") == kiosk.shelf.link("committed") == FACTORY
    assert not list((kiosk.state_dir / "update" / "downloads").glob("*.part"))
    store = kiosk.store()
    report = store.get_state("update.report")
    assert report["state"] == "failed" and report["detail"].startswith("no_space")
    # The old release goes on working on the full disk: its heartbeats still get through.
    since = time.time()
    wait_until(lambda: (store.get_state("heartbeat.accepted") or {}).get("at", 0) > since, 30,
               "the old release stopped working")  # fmt: skip
    store.close()
    # Room again: the next pass downloads, installs and commits.
    (disk / "filler").unlink()
    assert kiosk.update("--no-ui-gate", gate_stable=1) == f"release {GOOD} committed"


def test_too_little_room_is_refused_before_downloading(world, disk):
    kiosk, slow_host = world
    free = shutil.disk_usage(disk).free
    # Leave less than 2 × the bundle + 100 MB.
    (disk / "filler").write_bytes(b"\0" * (free - 150 * 2**20))
    kiosk.wish(GOOD, url=slow_host)
    said = kiosk.update("--no-ui-gate", gate_stable=1)
    assert "refused: no_space" in said and "needed (2 × the bundle + 100 MB)" in said
    assert not list((kiosk.state_dir / "update" / "downloads").iterdir())


def test_a_download_that_goes_silent_is_abandoned_then_resumed(world):
    kiosk, slow_host = world
    SlowRanges.ranges.clear()
    SlowRanges.stall_once.set()
    kiosk.wish(GOOD, url=slow_host)
    said = kiosk.update("--no-ui-gate", "--download-silence", "3", gate_stable=1)
    assert said.startswith(f"release {GOOD} refused: download_failed"), said
    [partial] = (kiosk.state_dir / "update" / "downloads").glob("*.part")
    have = partial.stat().st_size
    assert have > 0
    assert kiosk.shelf.link("current") == FACTORY
    # The next pass asks only for the rest, and the whole is checked before use.
    assert kiosk.update("--no-ui-gate", gate_stable=1) == f"release {GOOD} committed"
    assert f"bytes={have}-" in SlowRanges.ranges


@pytest.mark.skipif(not Path(LIBFAKETIME).exists(), reason="libfaketime is not installed")
@pytest.mark.parametrize("clock", ["@1970-01-02 00:00:00", "+5y"])
def test_a_wrong_clock_is_refused_reported_and_recovered_from(world, clock):
    kiosk, slow_host = world
    kiosk.wish(GOOD, url=slow_host)
    env = {
        **os.environ,
        "LD_PRELOAD": LIBFAKETIME,
        "FAKETIME": clock,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    done = subprocess.run(
        kiosk.updater_argv("--no-ui-gate", gate_stable=1),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    said = done.stdout.strip().splitlines()[-1]
    reason = "clock_wrong" if clock.startswith("@") else "metadata_expired"
    assert said.startswith(f"release {GOOD} refused: {reason}"), said
    assert kiosk.shelf.link("current") == FACTORY
    store = kiosk.store()
    assert store.get_state("update.report")["detail"].startswith(reason)
    store.close()
    # The time is synced: the same kiosk goes on by itself.
    assert kiosk.update("--no-ui-gate", gate_stable=1) == f"release {GOOD} committed"
