"""How many 1:1 calls one media host carries: N calls at once through one Janus
(VideoRoom, the rooms central makes), each of two participants that publish a
pre-encoded VP8 stream (640×480, 25 fps, about 600 kbit/s, a keyframe every second)
and receive the other's, for growing N.

Publishers replay the stream (aiortc sends the file's packets as they are) instead of
running an encoder each: this 2-core machine cannot encode 50 cameras. Receivers are
the kiosk's own room code (kiosk/call/room.py) with a decoder that counts each
reassembled frame instead of decoding it: what is measured is what Janus forwards,
frame by frame, after aiortc's jitter buffer. Figures for each N: the worst receiver's
frame rate and freezes (WebRTC's definition, as bench/call.py), Janus's CPU (a share of
one core, from /proc) and its CPU per call against one call's (the baseline, measured
first in the same run). The largest N with every receiver at >= 20 fps and no freeze is
this box's figure. Set-up misses are counted apart (joins that failed; receivers never
told of the other side's feed, which have nothing to forward): a set-up figure, not a
forwarding one, and bench/call.py measures set-up. Calls are set up one at a time.
The senders and receivers run on the same two cores as Janus (in two worker
processes, their CPU printed too): Janus's CPU per call is the figure that carries to
a host of its own. Janus runs in a network namespace, as in the call tests; no TURN.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.call import freezes  # WebRTC's definition, as the call benchmark counts them

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 480, 25
GOAL_FPS = 20.0
WORKERS = 2
CLK = os.sysconf("SC_CLK_TCK")


def stream_file(folder: Path, seconds: int = 6) -> Path:
    """The pre-encoded stream every publisher replays: a moving scene, VP8 in WebM."""
    import av
    import numpy as np

    path = folder / "replayed.webm"
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = 600_000
        stream.codec_context.gop_size = FPS
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
        rng = np.random.default_rng(3)
        for n in range(seconds * FPS):
            image = np.dstack([(x + 4 * n) % 256, (y + 2 * n) % 256, (x // 2 + y // 2) % 256])
            image = (image + rng.integers(0, 8, image.shape)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# -- a worker process: some of the calls' participants --------------------------------------
class CountingDecoder:
    """Stands in for aiortc's VP8 decoder: one tiny frame per reassembled frame."""

    def decode(self, encoded: Any) -> list[Any]:
        import av

        frame = av.VideoFrame(16, 16, "yuv420p")
        frame.pts, frame.time_base = encoded.timestamp, Fraction(1, 90000)
        return [frame]


class _Direct:
    """The replayed track as it is: the kiosk's relay (one camera, several connections)
    keeps only the newest frame, which for pre-encoded packets would drop some."""

    def subscribe(self, track: Any, buffered: bool = True) -> Any:
        return track


def encoded_packets(path: str) -> list[bytes]:
    import av

    with av.open(path) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


def replaying(packets: list[bytes]) -> Any:
    """A video track that sends the file's packets in a loop at FPS, with timestamps that
    keep rising (aiortc's MediaPlayer restarts them at each loop of a pre-encoded file,
    and receivers then drop the "old" frames)."""
    import av
    from aiortc import MediaStreamTrack

    class Replay(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self.started = 0.0

        async def recv(self) -> Any:
            if not self.started:
                self.started = time.monotonic()
            due = self.started + self.sent / FPS
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            packet = av.Packet(packets[self.sent % len(packets)])
            packet.pts, packet.time_base = self.sent * (90000 // FPS), Fraction(1, 90000)
            self.sent += 1
            return packet

    return Replay()


async def participate(args: argparse.Namespace) -> dict[str, Any]:
    import aiortc.rtcrtpreceiver

    from kiosk.call.room import RoomTicket, VideoRoomPeer

    packets = encoded_packets(args.stream)

    aiortc.rtcrtpreceiver.get_decoder = lambda codec: CountingDecoder()  # type: ignore[assignment]
    arrivals: dict[int, list[float]] = {}
    peers = []
    for n, (room, token) in enumerate(json.loads(args.rooms)):
        for side in ("kiosk", "official"):
            key = len(peers)
            arrivals[key] = []
            track = replaying(packets)
            peer = VideoRoomPeer(RoomTicket(args.janus, room, token, f"{side} {n}"), track, None)
            peer.relay = _Direct()  # type: ignore[assignment]
            peer.when_remote_frame = lambda frame, source, key=key: arrivals[key].append(
                time.monotonic()
            )
            peers.append((peer, track))
    # One set-up at a time per worker: a storm of aiortc handshakes in one process
    # misses Janus's answers (a set-up figure, bench/call.py's, not this one).
    gate = asyncio.Semaphore(1)

    async def join(peer: Any) -> None:
        async with gate:  # as long as the kiosk gives a join (kiosk/call/session.py)
            await asyncio.wait_for(peer.join(), 20)

    joined = await asyncio.gather(*(join(peer) for peer, _ in peers), return_exceptions=True)
    failed = sum(1 for outcome in joined if isinstance(outcome, BaseException))
    # What the kiosk's call session does (kiosk/call/session.py): a subscription with no
    # video for 5 s is made again. Counted: a set-up figure, not a forwarding one.
    rebuilt_at: dict[int, float] = {}
    while time.time() < args.start_at - 1:
        await asyncio.sleep(1)
        now = time.monotonic()
        for key, (peer, _track) in enumerate(peers):
            quiet = not arrivals[key] or now - arrivals[key][-1] > 5
            if quiet and peer.receiving_from and now - rebuilt_at.get(key, now - 10) > 5:
                rebuilt_at[key] = now
                asyncio.ensure_future(peer.resubscribe())
    await asyncio.sleep(max(0.0, args.start_at - time.time()))
    start = time.monotonic()
    # A receiver whose other side was never announced to it has nothing to forward: a
    # set-up miss, counted apart from the forwarding figures.
    announced = [peer.receiving_from > 0 for peer, _track in peers]
    for times in arrivals.values():
        times.clear()
    await asyncio.sleep(args.seconds)
    window = [
        [t for t in times if t <= start + args.seconds]
        for key, times in arrivals.items()
        if announced[key]
    ]
    for peer, track in peers:
        with contextlib.suppress(Exception):  # a participant that never joined has nothing
            await asyncio.wait_for(peer.leave(), 10)
        track.stop()
    return {
        "fps": [len(times) / args.seconds for times in window],
        "freezes": [freezes(times) for times in window],
        "failed_joins": failed,
        "rebuilt": len(rebuilt_at),
        "unannounced": announced.count(False),
    }


# -- the run ----------------------------------------------------------------------------------
def cpu_s(pid: int) -> float:
    """CPU seconds a process has used (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def run_step(media: Any, janus: Any, calls: int, stream: Path, seconds: float) -> dict[str, Any]:
    import secrets

    rooms = []
    for n in range(calls):
        room, token = f"bench-{secrets.token_hex(4)}-{n}", secrets.token_urlsafe(16)
        janus.open_room(room, [token])
        rooms.append((room, token))
    setup_s = 8 + calls * 3.0  # every participant joined and receiving before the window
    start_at = time.time() + setup_s
    workers = []
    for part in range(WORKERS):
        mine = rooms[part::WORKERS]
        if not mine:
            continue
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.media_host",
                    "--worker",
                    "--janus",
                    media.janus_url,
                    "--rooms",
                    json.dumps(mine),
                    "--stream",
                    str(stream),
                    "--start-at",
                    str(start_at),
                    "--seconds",
                    str(seconds),
                ],  # fmt: skip
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    time.sleep(max(0.0, start_at - time.time()))
    pid = media.processes[0].pid
    before = cpu_s(pid)
    participants_before = sum(cpu_s(w.pid) for w in workers)
    time.sleep(seconds)
    janus_share = (cpu_s(pid) - before) / seconds
    participants_share = (sum(cpu_s(w.pid) for w in workers) - participants_before) / seconds
    fps: list[float] = []
    frozen: list[int] = []
    failed = rebuilt = unannounced = 0
    for worker in workers:
        out, _ = worker.communicate(timeout=setup_s + seconds + 20 * calls + 60)
        if worker.returncode != 0:
            raise SystemExit(f"bench/media_host.py: a worker failed ({worker.returncode})")
        found = json.loads(out.strip().splitlines()[-1])
        fps += found["fps"]
        frozen += found["freezes"]
        failed += found["failed_joins"]
        rebuilt += found["rebuilt"]
        unannounced += found["unannounced"]
    for room, token in rooms:
        janus.close_room(room, [token])
    return {
        "calls": calls,
        "worst_fps": min(fps, default=0.0),
        "median_fps": statistics.median(fps) if fps else 0.0,
        "unannounced": unannounced,
        "freezes": sum(frozen),
        "janus_share": janus_share,
        "participants_share": participants_share,
        "failed_joins": failed,
        "rebuilt": rebuilt,
        "held": bool(fps) and min(fps) >= GOAL_FPS and sum(frozen) == 0 and not failed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 and 2 calls, 4 s each")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--ladder",
        type=int,
        nargs="+",
        default=[1, 2, 4, 8, 12, 16, 20, 24, 32, 40],
        help="numbers of calls, measured in turn until one is not held",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--janus", help=argparse.SUPPRESS)
    parser.add_argument("--rooms", help=argparse.SUPPRESS)
    parser.add_argument("--stream", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(asyncio.run(participate(args))), flush=True)
        return 0

    from central.calls.media_server import JanusServer, MediaServer
    from devtools.media_servers import start_media_servers
    from devtools.test_network import create_test_network

    seconds = 4.0 if args.quick else args.seconds
    ladder = (1, 2) if args.quick else tuple(args.ladder)
    folder = Path(tempfile.mkdtemp(prefix="bench-media-host-"))
    stream = stream_file(folder)
    net = create_test_network()
    media = start_media_servers(folder / "media", ip=net.inside, prefix=net.prefix)
    try:
        server = MediaServer(
            name="bench",
            url=media.janus_url,
            admin_url=media.janus_admin_url,
            admin_secret=media.janus_admin_secret,
            room_admin_key=media.videoroom_admin_key,
        )
        janus = JanusServer(server, os.urandom(32))
        print(
            f"calls one media host carries ({os.cpu_count()} cores, Janus and the "
            f"participants on this machine; {WIDTH}x{HEIGHT} VP8 at {FPS} fps both ways)",
            flush=True,
        )
        steps = []
        for calls in ladder:
            step = run_step(media, janus, calls, stream, seconds)
            steps.append(step)
            per_call = step["janus_share"] / calls
            base = steps[0]["janus_share"] / steps[0]["calls"] or 1e-9
            print(
                f"  {calls:3d} calls: worst receiver {step['worst_fps']:.1f} fps (median "
                f"{step['median_fps']:.1f}), {step['freezes']} freezes, "
                f"{step['failed_joins']} joins failed, {step['unannounced']} of {2 * calls} "
                f"never told of the other, {step['rebuilt']} subscriptions made again; Janus "
                f"{100 * step['janus_share']:.1f} % of a core, {100 * per_call:.2f} % per call"
                f" ({per_call / base:.2f}x one call's); the participants "
                f"{100 * step['participants_share']:.0f} %  "
                f"{'held' if step['held'] else 'NOT held'}",
                flush=True,
            )
            if not step["held"]:
                break
        held = [s for s in steps if s["held"]]
        largest = max((s["calls"] for s in held), default=0)
        per_call = statistics.median(s["janus_share"] / s["calls"] for s in steps)
        print(
            f"  largest N held (>= {GOAL_FPS:.0f} fps, no freezes): {largest} calls; "
            f"Janus {100 * per_call:.2f} % of a core per call, so a host of its own with "
            f"{os.cpu_count()} cores at 80 % would carry about "
            f"{int(0.8 * (os.cpu_count() or 1) / max(per_call, 1e-9))} calls"
        )
    finally:
        media.stop()
        net.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
