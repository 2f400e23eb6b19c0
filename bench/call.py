"""Video calls, measured: set-up time, frame rate and resolution, freezes, glass-to-glass
latency, and the kiosk's CPU and memory, on the real path (the kiosk's aiortc through
Janus in a network namespace to the official's desk in headless Chromium, central as
its own process).

Each side draws a millisecond clock (44 black/white blocks) into the frames it sends;
the receiver reads it back, so latency is glass to glass on one machine's clock. The
desk's camera is a canvas drawing that clock (getUserMedia replaced in the page); the
kiosk's is the camera driver reading a video file, with the clock drawn by CameraTrack.

Baseline, same run: two aiortc peers connected directly in one process (no media
server, no central): their set-up time and their CPU for the same two-way video.

Then a three-party call (an interpreter joins from a desk of their own: the kiosk's
CPU and RSS, frame rate and latency of each incoming stream), and a call whose kiosk
reaches coturn through the link relay (devtools/link_relay.py): frame rate, freezes
and the longest gap each way under 5 % loss and at 1 Mbit/s.

    python -m bench.call            # 20 set-ups, a 10-minute call, 100 calls for memory,
                                    # 60 s of three parties, 30 s per poor link
    python -m bench.call --quick    # 3 set-ups, 20 s, 10 calls, 20 s, 10 s
Needs root (a network namespace), janus, coturn, nftables and chromium: `./run bench`
installs them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from devtools.browser import CHROMIUM, CHROMIUM_FLAGS, DESK_FRAME_COUNTER

ROOT = Path(__file__).resolve().parents[1]

BITS, BLOCK, TOP, LEFT = 44, 14, 20, 20
INSTALL = "./run bench (it installs janus, coturn, nftables and chromium)"

# The desk's camera: a canvas with the clock, at 30 frames/s; each second begins with a
# white flash and a beep together (150 ms), for the speech-video offset.
FAKE_CAMERA = """(() => {
  const W = 640, H = 480, BITS = 44, BLOCK = 14;
  let gain = null;
  const draw = (ctx) => {
    ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, W, H);
    const ms = Date.now();
    for (let i = 0; i < BITS; i++) {
      ctx.fillStyle = Math.floor(ms / 2 ** i) % 2 ? '#ffffff' : '#000000';
      ctx.fillRect(20 + i * BLOCK, 20, BLOCK, 40);
    }
    const flash = ms % 1000 < 150;
    ctx.fillStyle = flash ? '#ffffff' : `hsl(${(ms / 20) % 360}, 60%, 40%)`;
    ctx.fillRect(40, 120, 560, 320);
    if (gain) gain.gain.value = flash ? 0.5 : 0;
  };
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement('canvas'); canvas.width = W; canvas.height = H;
    const ctx = canvas.getContext('2d'); draw(ctx); setInterval(() => draw(ctx), 1000 / 60);
    const stream = canvas.captureStream(30);
    const audio = new AudioContext(); const tone = audio.createOscillator();
    tone.frequency.value = 1000; gain = audio.createGain(); gain.gain.value = 0;
    const out = audio.createMediaStreamDestination(); tone.connect(gain); gain.connect(out);
    tone.start();
    stream.addTrack(out.stream.getAudioTracks()[0]);
    return stream;
  };
})();"""

# At the desk: read the kiosk's clock from every frame shown.
READ_CLOCK = """() => {
  window.__lat = []; window.__firstFrame = null; window.__vOn = []; window.__aOn = [];
  // One watcher for the page's life, which every call reuses: a new one per call piled
  // up frame callbacks and sound contexts until the page stopped answering (call ~98).
  if (window.__watching) return;
  window.__watching = true;
  const v = document.getElementById('remote');
  let flashing = false, beeping = false, listening = null;
  // One onset per flash or beep: a dip inside one (coding noise) is not a new one.
  const onset = (list) => {
    const now = performance.now();
    if (!list.length || now - list[list.length - 1] > 500) list.push(now);
  };
  const listen = () => {
    // The kiosk's sound, 256 samples at a time, for the onsets of its beeps.
    if (listening === v.srcObject || !v.srcObject || !v.srcObject.getAudioTracks().length) return;
    listening = v.srcObject;
    if (window.__audio) window.__audio.close();
    const audio = window.__audio = new AudioContext();
    const source = audio.createMediaStreamSource(v.srcObject);
    const probe = audio.createScriptProcessor(256, 1, 1);
    probe.onaudioprocess = (e) => {
      const data = e.inputBuffer.getChannelData(0);
      let peak = 0; for (let i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i]));
      if (peak > 0.1 && !beeping && window.__readClock) onset(window.__aOn);
      beeping = peak > 0.1;
    };
    source.connect(probe); probe.connect(audio.destination);
  };
  const canvas = document.createElement('canvas'); canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const tick = () => {
    if (window.__firstFrame === null) window.__firstFrame = performance.now();
    listen();
    if (window.__readClock && v.videoWidth) {
      ctx.drawImage(v, 0, 0, 640, 480);
      const px = ctx.getImageData(320, 280, 1, 1).data;
      const flash = px[0] > 230 && px[1] > 230 && px[2] > 230;
      if (flash && !flashing) onset(window.__vOn);
      flashing = flash;
      const row = ctx.getImageData(0, 40, 640, 1).data;
      let ms = 0;
      for (let i = 0; i < 44; i++) {
        const x = 20 + i * 14 + 7;
        if (row[x * 4] > 128) ms += 2 ** i;
      }
      const lat = Date.now() - ms;
      if (lat > -50 && lat < 5000) window.__lat.push(lat);
    }
    v.requestVideoFrameCallback(tick);
  };
  v.requestVideoFrameCallback(tick);
}"""

DESK_STATS = """async () => {
  const m = window.deskMedia(); const out = {};
  if (!m || !m.subscriberPc) return out;
  (await m.subscriberPc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(out, {
      fps: s.framesPerSecond, width: s.frameWidth, height: s.frameHeight,
      freezes: s.freezeCount, frames: s.framesDecoded });
  });
  return out;
}"""


def draw_clock(image: np.ndarray, ms: int | None = None) -> None:
    ms = int(time.time() * 1000) if ms is None else ms
    for i in range(BITS):
        x = LEFT + i * BLOCK
        image[TOP : TOP + 40, x : x + BLOCK] = 255 if (ms >> i) & 1 else 0


FLASH_MS = 150  # each second starts with a white flash and a beep, this long


def flash_now() -> bool:
    return int(time.time() * 1000) % 1000 < FLASH_MS


def draw_clock_and_flash(image: np.ndarray) -> None:
    """The kiosk's overlay: the clock, and the flash that goes with BeepingMicrophone."""
    draw_clock(image)
    if flash_now():
        image[120:440, 40:600] = 255


def beeping_microphone() -> Any:
    """The kiosk's microphone for the bench: a 1 kHz beep during each flash, else silence,
    paced as a real microphone (aiortc's AudioStreamTrack timing)."""
    from aiortc.mediastreams import AudioStreamTrack

    class BeepingMicrophone(AudioStreamTrack):
        async def recv(self) -> Any:
            frame = await super().recv()
            if flash_now():
                n = frame.samples
                t = (np.arange(n) + (frame.pts or 0)) / frame.sample_rate
                tone = (np.sin(2 * np.pi * 1000 * t) * 12000).astype(np.int16)
                frame.planes[0].update(np.repeat(tone, len(frame.layout.channels)).tobytes())
            return frame

    return BeepingMicrophone()


def onset_offsets(video: list[float], audio: list[float]) -> list[float]:
    """Audio onset minus video onset (ms) for each flash with a beep within 500 ms;
    positive: the sound comes after the picture."""
    pairs = []
    for v in video:
        near = [a for a in audio if abs(a - v) < 0.5]
        if near:
            pairs.append((min(near, key=lambda a: abs(a - v)) - v) * 1000)
    return pairs


def sync_figure(offsets: list[float]) -> str:
    if not offsets:
        return "no flash with a beep was received"
    size = [abs(x) for x in offsets]
    return (
        f"{percentile(size, 50):.0f} / {percentile(size, 95):.0f} ms "
        f"(sound {statistics.fmean(offsets):+.0f} ms vs picture, {len(offsets)} beeps)"
    )


def read_clock(image: np.ndarray) -> int:
    row = image[TOP + 20, :, :].mean(axis=1) if image.ndim == 3 else image[TOP + 20]
    return sum(1 << i for i in range(BITS) if row[LEFT + i * BLOCK + BLOCK // 2] > 128)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads, by Python thread name ("Thread-5
    (_read_frames)", "video-decoder", "asyncio_0"; threads of C libraries: "native")."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    spent: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        name = names.get(int(task.name), "native")
        name = re.sub(r"_\d+$", "_N", re.sub(r"-\d+", "-N", name))  # asyncio_3 → asyncio_N
        spent[name] = spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return spent


@dataclass
class KioskUse:
    """What the kiosk's process used over a stretch of a call."""

    elapsed: float
    cpu: float  # share of one core
    rss_start: float  # MiB
    rss_peak: float
    threads: dict[str, float]  # share of one core, by thread name


def kiosk_use_over(seconds: float) -> KioskUse:
    """Waits `seconds`, watching this process's CPU (in all and by thread) and RSS."""
    cpu0, t0, rss0, threads0 = cpu_seconds(), time.monotonic(), rss_mib(), thread_cpu()
    peak = rss0
    while time.monotonic() - t0 < seconds:
        time.sleep(1)
        peak = max(peak, rss_mib())
    elapsed = time.monotonic() - t0
    threads = {
        name: (spent - threads0.get(name, 0.0)) / elapsed for name, spent in thread_cpu().items()
    }
    return KioskUse(elapsed, (cpu_seconds() - cpu0) / elapsed, rss0, peak, threads)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def camera_video(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    rng = np.random.default_rng(1)
    for n in range(30):
        frame = rng.integers(90, 160, (480, 640, 3), dtype=np.uint8)
        cv2.putText(frame, f"kiosk {n}", (200, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
        writer.write(frame)
    writer.release()
    return path


# --- the baseline: two aiortc peers, directly -------------------------------------------


def baseline(seconds: float, setups: int) -> dict[str, float]:
    from aiortc import RTCPeerConnection, VideoStreamTrack
    from av import VideoFrame

    class Clock(VideoStreamTrack):
        async def recv(self) -> VideoFrame:
            pts, time_base = await self.next_timestamp()
            image = np.full((480, 640, 3), 128, np.uint8)
            draw_clock(image)
            frame = VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = pts, time_base
            return frame

    async def one(duration: float) -> tuple[float, float, float]:
        a, b = RTCPeerConnection(), RTCPeerConnection()
        first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        got = {"frames": 0}

        def on_track(track: Any) -> None:
            async def drain() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except Exception:  # noqa: BLE001 - the track ended
                        return
                    got["frames"] += 1
                    read_clock(frame.to_ndarray(format="bgr24"))
                    if not first.done():
                        first.set_result(time.monotonic())

            asyncio.ensure_future(drain())

        b.on("track", on_track)
        a.on("track", lambda track: asyncio.ensure_future(_drain(track)))
        a.addTrack(Clock())
        b.addTrack(Clock())
        start = time.monotonic()
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        first_at = await asyncio.wait_for(first, 30)
        cpu0, t0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(duration)
        cpu = (cpu_seconds() - cpu0) / (time.monotonic() - t0)
        await a.close()
        await b.close()
        return first_at - start, cpu, got["frames"]

    async def _drain(track: Any) -> None:
        while True:
            try:
                await track.recv()
            except Exception:  # noqa: BLE001 - the track ended
                return

    setups_s = [asyncio.run(one(0.5))[0] for _ in range(setups)]
    _, cpu, _ = asyncio.run(one(seconds))
    return {"setup_p50": statistics.median(setups_s), "cpu_two_peers": cpu}


# --- the real path --------------------------------------------------------------------


class World:
    def __init__(self, folder: Path, poor_link: bool = False) -> None:
        from devtools.demo import INTERPRETER_EMAIL, KELA_OFFICIAL_EMAIL, seed
        from devtools.launcher import launch
        from devtools.link_relay import start_link_relay
        from devtools.media_servers import start_media_servers
        from devtools.test_network import create_test_network
        from kiosk.agent.cli import enrol

        self.net = create_test_network()
        self.media = start_media_servers(
            folder / "media", ip=self.net.inside, prefix=self.net.prefix
        )
        database = f"sqlite:///{folder}/central.db"
        env = dict(os.environ) | self.media.central_env()
        self.link = None
        if poor_link:  # every participant reaches coturn through the relay, nothing around it
            self.link = start_link_relay(self.net, self.media.turn_port, folder / "link")
            env["CENTRAL_TURN_URLS"] = self.link.turn_url
        self.interpreter_email = INTERPRETER_EMAIL
        self.server, self.base = launch(0, database, env=env, host=self.net.outside)
        world = seed(database, self.base)
        # The demo's first video service is Kela's: Kela's official serves it at the
        # municipality's kiosk, under the demo's agreement.
        self.official_email = KELA_OFFICIAL_EMAIL
        creds = enrol(folder / "kiosk", self.base, world["enrolment"]["token"], insecure=True)
        self.device_token = creds.device_token
        from devtools.builders import kiosk_services

        self.service = next(s["id"] for s in kiosk_services() if s.get("remote_video"))

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(15)
        if self.link is not None:
            self.link.stop()
        self.media.stop()
        self.net.remove()


class KioskSide:
    """The kiosk's call stack as the UI builds it: camera driver, CameraTrack, CallSession."""

    def __init__(self, world: World, video: Path) -> None:
        from hardware.devices import build

        self.world = world
        self.devices = build({"camera": f"video:{video}"})
        self.camera = self.devices.all["camera"]
        self.camera.start()
        self.latencies: list[float] = []
        self.arrivals: list[float] = []
        self.video_onsets: list[float] = []
        self.audio_onsets: list[float] = []
        self._flashing = self._beeping = False
        self.sizes: set[tuple[int, int]] = set()
        # Everyone else's video (an interpreter): arrivals and latencies per sender.
        self.other_arrivals: dict[str, list[float]] = {}
        self.other_latencies: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.session: Any = None

    def new_call(self) -> Any:
        from kiosk.agent.client import CentralClient
        from kiosk.call.media import CameraTrack
        from kiosk.call.session import CallSession

        client = CentralClient(self.world.base, self.world.device_token, insecure=True)
        track = CameraTrack(lambda: self.camera.latest_frame)
        track.overlay = draw_clock_and_flash
        self.session = CallSession(client, track, beeping_microphone(), poll_s=0.5)
        self.session.when_remote_frame = self.frame
        self.session.when_remote_audio = self.sound
        self.session.when_other_frame = self.other_frame
        return self.session

    def other_frame(self, source: str, image: np.ndarray) -> None:
        now = time.time() * 1000
        with self.lock:
            arrivals = self.other_arrivals.setdefault(source, [])
            arrivals.append(time.monotonic())
            del arrivals[:-20000]
            lat = now - read_clock(image)
            if -50 < lat < 5000:
                latencies = self.other_latencies.setdefault(source, [])
                latencies.append(lat)
                del latencies[:-20000]

    def sound(self, frame: Any, source: str = "") -> None:
        """The official's sound as the speaker would get it: note when each beep starts."""
        peak = int(np.abs(frame.to_ndarray()).max()) if frame.samples else 0
        beeping = peak > 3000
        if beeping and not self._beeping:
            with self.lock:
                self.audio_onsets.append(time.monotonic())
                del self.audio_onsets[:-5000]
        self._beeping = beeping

    def frame(self, image: np.ndarray) -> None:
        now = time.time() * 1000
        flashing = bool(image[200:360, 200:440].mean() > 230)
        with self.lock:
            if flashing and not self._flashing:
                self.video_onsets.append(time.monotonic())
                del self.video_onsets[:-5000]
            self._flashing = flashing
            self.arrivals.append(time.monotonic())
            self.sizes.add((image.shape[1], image.shape[0]))
            lat = now - read_clock(image)
            if -50 < lat < 5000:
                self.latencies.append(lat)
            del self.arrivals[:-20000]
            del self.latencies[:-20000]

    def reset(self) -> None:
        with self.lock:
            self.latencies, self.arrivals, self.sizes = [], [], set()
            self.video_onsets, self.audio_onsets = [], []
            self.other_arrivals, self.other_latencies = {}, {}


def desk_page(browser: Any, world: World, email: str) -> Any:
    """A desk logged in and available, in a context of its own with the clock camera."""
    from devtools.demo import PASSWORD

    context = browser.new_context()
    context.add_init_script(FAKE_CAMERA)
    page = context.new_page()
    page.goto(f"{world.base}/desk/?lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#desk:not([hidden])")
    page.click("#set-available")
    return page


def wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise SystemExit(f"bench/call.py: {what} did not happen in {seconds:.0f} s")


def place_call(kiosk: KioskSide, page: Any, world: World) -> tuple[float, float]:
    """One call up to first frames; (kiosk set-up s, desk set-up s) from the accept."""
    session = kiosk.new_call()
    session.start(world.service, "fi")
    page.wait_for_selector("#queue li button", timeout=20000)
    page.evaluate(READ_CLOCK)
    accepted = time.monotonic()
    clicked = page.evaluate(
        "() => { const t = performance.now(); document.querySelector('#queue li button').click();"
        " return t; }"
    )
    wait(lambda: session.first_frame_at is not None, 30, "the kiosk's first frame")
    page.wait_for_function("() => window.__firstFrame !== null", timeout=30000)
    desk = (page.evaluate("() => window.__firstFrame") - clicked) / 1000
    return session.first_frame_at - accepted, desk


def end_call(kiosk: KioskSide, page: Any) -> None:
    page.click("#end")
    wait(lambda: kiosk.session.view.status == "ended", 15, "the call's end")
    kiosk.session.close()
    kiosk.session = None
    page.wait_for_selector("#call", state="hidden", timeout=15000)


def freezes(arrivals: list[float]) -> int:
    """WebRTC's definition: a gap longer than max(3 × the mean gap, mean + 150 ms)."""
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    if not gaps:
        return 0
    mean = statistics.fmean(gaps)
    return sum(1 for g in gaps if g > max(3 * mean, mean + 0.150))


def longest_gap(arrivals: list[float]) -> float:
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    return max(gaps) if gaps else float("inf")


def fps_figure(arrivals: list[float], seconds: float) -> str:
    return (
        f"{len(arrivals) / seconds:.1f} fps, {freezes(arrivals)} freezes, "
        f"longest gap {longest_gap(arrivals) * 1000:.0f} ms"
    )


Row = tuple[str, str, str, bool | None]


def three_party(
    kiosk: KioskSide, page: Any, browser: Any, world: World, seconds: float
) -> list[Row]:
    """The official asks for an interpreter (the demo's, of Arabic), who joins from a
    desk of their own with the clock camera: the kiosk then receives two streams."""
    place_call(kiosk, page, world)
    page.fill("#interpreter-language", "ar")
    page.click("#interpreter-form button")
    interpreter = desk_page(browser, world, world.interpreter_email)
    interpreter.wait_for_selector("#queue li button", timeout=20000)
    interpreter.click("#queue li button")
    wait(lambda: bool(kiosk.other_arrivals), 30, "the interpreter's video at the kiosk")
    time.sleep(3)
    kiosk.reset()
    use = kiosk_use_over(seconds)
    elapsed, cpu, rss0, rss_peak = use.elapsed, use.cpu, use.rss_start, use.rss_peak
    desk_stats = page.evaluate(DESK_STATS)
    with kiosk.lock:
        official = list(kiosk.arrivals)
        official_lat = list(kiosk.latencies)
        others = {k: list(v) for k, v in kiosk.other_arrivals.items()}
        others_lat = [x for v in kiosk.other_latencies.values() for x in v]
    interpreter.click("#leave")
    interpreter.context.close()
    end_call(kiosk, page)
    other_arrivals = next(iter(others.values()), [])
    rows: list[Row] = [
        (
            "three parties: kiosk CPU (share of one core)",
            f"{cpu * 100:.0f} %, RSS {rss0:.0f} → peak {rss_peak:.0f} MiB over {seconds:.0f} s",
            "≤ 100 %",
            cpu <= 1.0,
        ),
        (
            "three parties: official's video at the kiosk",
            fps_figure(official, elapsed),
            "≥ 20 fps",
            len(official) / elapsed >= 20,
        ),
        (
            "three parties: interpreter's video at the kiosk",
            fps_figure(other_arrivals, elapsed),
            "≥ 20 fps",
            len(other_arrivals) / elapsed >= 20,
        ),
        (
            "three parties: glass to glass at the kiosk, p50 / p95",
            f"official {statistics.median(official_lat or [float('nan')]):.0f} / "
            f"{percentile(official_lat, 95):.0f} ms, interpreter "
            f"{statistics.median(others_lat or [float('nan')]):.0f} / "
            f"{percentile(others_lat, 95):.0f} ms",
            "p95 ≤ 400 ms",
            bool(official_lat and others_lat)
            and max(percentile(official_lat, 95), percentile(others_lat, 95)) <= 400,
        ),
        (
            "three parties: kiosk's video at the official's desk",
            f"{desk_stats.get('fps') or 0:.0f} fps, "
            f"{desk_stats.get('width')}×{desk_stats.get('height')}",
            "≥ 20 fps",
            (desk_stats.get("fps") or 0) >= 20,
        ),
    ]
    return rows


@contextlib.contextmanager
def running_world(poor_link: bool = False) -> Iterator[tuple[World, KioskSide, Any, Any]]:
    """(world, kiosk, browser, the official's desk page), all stopped at the end."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-call-"))
    world = World(folder, poor_link=poor_link)
    kiosk = KioskSide(world, camera_video(folder / "kiosk.avi"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_FLAGS, f"--unsafely-treat-insecure-origin-as-secure={world.base}"],
            )
            try:
                yield world, kiosk, browser, desk_page(browser, world, world.official_email)
            finally:
                browser.close()
    finally:
        if kiosk.session is not None:
            kiosk.session.close()
        kiosk.camera.stop()
        world.stop()
        shutil.rmtree(folder, ignore_errors=True)


def poor_links(seconds: float) -> list[Row]:
    """A call whose kiosk reaches coturn through the link relay (devtools/link_relay.py):
    video each way under 5 % loss, then at 1 Mbit/s, after 10 s to adapt."""
    rows: list[Row] = []
    with running_world(poor_link=True) as (world, kiosk, _browser, page):
        place_call(kiosk, page, world)
        page.evaluate(DESK_FRAME_COUNTER)
        assert world.link is not None
        for name, conditions in (
            ("5 % loss each way, 20 ms", {"loss": 0.05, "delay_ms": 20}),
            ("1 Mbit/s each way, 30 ms, 200 ms queue", {"rate_kbit": 1000, "delay_ms": 30}),
        ):
            world.link.set(**conditions)
            time.sleep(10)
            kiosk.reset()
            desk_from = page.evaluate("performance.now() / 1000")
            time.sleep(seconds)
            with kiosk.lock:
                arrivals, sizes = list(kiosk.arrivals), set(kiosk.sizes)
            desk = [t for t in page.evaluate("() => window.__arrivals") if t >= desk_from]
            desk_size = page.evaluate("() => window.__size")
            kiosk_sent = kiosk.session.video.size if kiosk.session else None
            for way, got, size in (
                ("desk → kiosk", arrivals, sorted(sizes)),
                ("kiosk → desk", desk, f"{desk_size[0]}×{desk_size[1]} (sent {kiosk_sent})"),
            ):
                rows.append(
                    (
                        f"{name}: {way}",
                        f"{fps_figure(got, seconds)}, {size}",
                        "≥ 20 fps, no gap > 1 s",
                        len(got) / seconds >= 20 and longest_gap(got) <= 1.0,
                    )
                )
            print(f"  {name}: link {kiosk.session.view.link}, relay {world.link.counts()}")
        world.link.set()
        end_call(kiosk, page)
    return rows


def two_party(
    kiosk: KioskSide,
    page: Any,
    world: World,
    base: dict[str, float],
    setups: int,
    long_s: float,
    soak: int,
) -> tuple[list[Row], dict[str, float]]:
    """Set-ups, one long call (frames, latency, CPU, RSS, sync) and calls back to back (RSS)."""
    print(f"set-up: {setups} calls from the official's accept to the first frame")
    at_kiosk, at_desk = [], []
    for _ in range(setups):
        k, d = place_call(kiosk, page, world)
        at_kiosk.append(k)
        at_desk.append(d)
        end_call(kiosk, page)

    print(f"one call of {long_s:.0f} s: frames, freezes, latency, kiosk CPU and RSS")
    place_call(kiosk, page, world)
    time.sleep(3)
    kiosk.reset()
    page.evaluate(
        "() => { window.__lat = []; window.__vOn = []; window.__aOn = [];"
        " window.__readClock = true; }"
    )
    start_stats = page.evaluate(DESK_STATS)
    use = kiosk_use_over(long_s)
    elapsed, cpu, rss0, rss_peak, threads = (
        use.elapsed, use.cpu, use.rss_start, use.rss_peak, use.threads
    )  # fmt: skip
    end_stats = page.evaluate(DESK_STATS)
    desk_lat = page.evaluate("() => window.__lat")
    desk_sync = onset_offsets(
        [t / 1000 for t in page.evaluate("() => window.__vOn")],
        [t / 1000 for t in page.evaluate("() => window.__aOn")],
    )
    with kiosk.lock:
        kiosk_sync = onset_offsets(list(kiosk.video_onsets), list(kiosk.audio_onsets))
        arrivals, kiosk_lat, sizes = (
            list(kiosk.arrivals),
            list(kiosk.latencies),
            set(kiosk.sizes),
        )
    kiosk_fps = len(arrivals) / elapsed
    desk_fps = (end_stats.get("frames", 0) - start_stats.get("frames", 0)) / elapsed
    end_call(kiosk, page)

    print(f"memory: {soak} calls back to back")
    rss_warm = None
    soak_done, soak_error = 0, ""
    for n in range(soak):
        try:
            place_call(kiosk, page, world)
            time.sleep(2)
            end_call(kiosk, page)
        except Exception as exc:  # noqa: BLE001 - report what was measured so far
            soak_error = f" (stopped: {type(exc).__name__}: {str(exc)[:80]})"
            break
        soak_done += 1
        if n == (2 if soak <= 10 else 4):  # after the first calls' warm-up
            rss_warm = rss_mib()
    rss_end = rss_mib()
    setup_all = at_kiosk + at_desk
    growth = (rss_end - rss_warm) / rss_warm * 100 if rss_warm else float("nan")
    rows = [
        (
            "set-up, accept → first frame at the kiosk, p50 / p95",
            f"{statistics.median(at_kiosk):.2f} / {percentile(at_kiosk, 95):.2f} s",
            "p95 ≤ 3 s",
            percentile(at_kiosk, 95) <= 3,
        ),
        (
            "set-up, accept → first frame at the desk, p50 / p95",
            f"{statistics.median(at_desk):.2f} / {percentile(at_desk, 95):.2f} s",
            "p95 ≤ 3 s",
            percentile(at_desk, 95) <= 3,
        ),
        (
            "  baseline: two aiortc peers directly, p50",
            f"{base['setup_p50']:.2f} s (ours {statistics.median(setup_all) / base['setup_p50']:.1f}×)",  # noqa: E501
            "",
            None,
        ),
        (
            "video at the kiosk (from the desk)",
            f"{kiosk_fps:.1f} fps, {sorted(sizes)}, {freezes(arrivals)} freezes",
            "≥ 20 fps, ≥ 640×480",
            kiosk_fps >= 20 and all(w >= 640 and h >= 480 for w, h in sizes),
        ),
        (
            "video at the desk (from the kiosk)",
            f"{desk_fps:.1f} fps, {end_stats.get('width')}×{end_stats.get('height')}, "
            f"{(end_stats.get('freezes') or 0) - (start_stats.get('freezes') or 0)} freezes",
            "≥ 20 fps, ≥ 640×480",
            desk_fps >= 20 and (end_stats.get("width") or 0) >= 640,
        ),
        (
            "glass to glass, desk → kiosk, p50 / p95",
            f"{percentile(kiosk_lat, 50):.0f} / {percentile(kiosk_lat, 95):.0f} ms",
            "p95 ≤ 400 ms",
            percentile(kiosk_lat, 95) <= 400,
        ),
        (
            "glass to glass, kiosk → desk, p50 / p95",
            f"{percentile(desk_lat, 50):.0f} / {percentile(desk_lat, 95):.0f} ms",
            "p95 ≤ 400 ms",
            percentile(desk_lat, 95) <= 400,
        ),
        (
            "kiosk media CPU (share of one core)",
            f"{cpu * 100:.0f} % (baseline, both aiortc peers: {base['cpu_two_peers'] * 100:.0f} %)",
            "≤ 50 %",
            cpu <= 0.5,
        ),
        (
            "kiosk RSS during the call",
            f"{rss0:.0f} → peak {rss_peak:.0f} MiB over {long_s:.0f} s",
            "",
            None,
        ),
        (
            f"kiosk RSS after {soak_done} calls{soak_error}",
            f"{rss_warm:.0f} → {rss_end:.0f} MiB ({growth:+.1f} %)",
            "≤ 5 % growth",
            growth <= 5,
        ),
        (
            "speech–video offset at the kiosk (desk → kiosk), p50 / p95 of |offset|",
            sync_figure(kiosk_sync),
            "≤ 100 ms",
            bool(kiosk_sync) and percentile([abs(x) for x in kiosk_sync], 95) <= 100,
        ),
        (
            "speech–video offset at the desk (kiosk → desk), p50 / p95 of |offset|",
            sync_figure(desk_sync),
            "≤ 100 ms",
            bool(desk_sync) and percentile([abs(x) for x in desk_sync], 95) <= 100,
        ),
    ]
    return rows, threads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (the tests' one)")
    parser.add_argument(
        "--parts",
        default="two,three,links",
        help="which parts, comma-separated: two (two-party figures), three, links",
    )
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    from kiosk.memory import limit_malloc_arenas

    limit_malloc_arenas()  # as kiosk-ui does first thing
    setups, long_s, soak = (3, 20.0, 10) if args.quick else (20, 600.0, 100)
    multi_s, link_s = (20.0, 10.0) if args.quick else (60.0, 30.0)
    missing = [p for p in ("janus", "turnserver", "nft") if shutil.which(p) is None]
    if missing or not Path(CHROMIUM).exists() or os.geteuid() != 0:
        what = ", ".join(missing + ([] if Path(CHROMIUM).exists() else ["chromium"]))
        print(f"bench/call.py: needs root and {what or 'nothing more'}; run {INSTALL}")
        return 2

    rows: list[Row] = []
    threads: dict[str, float] = {}
    if parts & {"two", "three"}:
        base = {}
        if "two" in parts:
            print(
                f"baseline: two aiortc peers in one process, {setups} set-ups, "
                f"{min(long_s, 60):.0f} s"
            )
            base = baseline(min(long_s, 60.0), setups)
        with running_world() as (world, kiosk, browser, page):
            if "two" in parts:
                two_rows, threads = two_party(kiosk, page, world, base, setups, long_s, soak)
                rows += two_rows
            if "three" in parts:
                print(f"three parties: an interpreter joins, {multi_s:.0f} s")
                rows += three_party(kiosk, page, browser, world, multi_s)
    if "links" in parts:
        print(f"poor links: a call through the link relay, {link_s:.0f} s per condition")
        rows += poor_links(link_s)
    print()
    for what, figure, goal, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT met")
        print(f"{what:<55} {figure:<70} {goal:<22} {verdict}")
    if threads:
        busiest = sorted(threads.items(), key=lambda item: -item[1])[:8]
        print("\nthe kiosk process's CPU during the call, by thread (share of one core):")
        print(
            "  "
            + ", ".join(f"{name} {share * 100:.1f} %" for name, share in busiest if share >= 0.005)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
