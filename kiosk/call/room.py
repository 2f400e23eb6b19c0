"""One kiosk in one call's VideoRoom: publishes camera and microphone, receives the others.

aiortc pitfalls this works around (see docs/architecture.md, calls):
- it has no ICE restart, so a connection that failed for good is replaced by
  a new PeerConnection (`rejoin`), not restarted;
- it uses Google's STUN server when given no ICE servers: always central's TURN;
- a remote track that is never read piles frames up in memory: every
  received track is drained, video to `when_remote_frame`, audio to the speaker
  or, without one, nowhere;
- it asks for a keyframe (PLI) only when a packet gap or a decode error shows
  up, and such a request sent while the link is down is lost: a stall would
  last until the sender's next keyframe on its own. While no video arrives the
  kiosk asks again every 0.3 s (`_ask_for_keyframes`), so after a
  blackout the picture returns as soon as the link does;
- its jitter buffer waits behind a lost packet for 512 more: `jitter` makes it
  jump to a keyframe instead, and asks again for a lost packet whose resend was
  lost too (`_ask_again`);
- its VP8 encoder runs at a desktop's speed setting: `encoder` uses the one
  libwebrtc uses on ARM boards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from kiosk.call import encoder, jitter
from kiosk.call.janus import JanusError, JanusSession
from kiosk.call.jitter import RETRY_S, NackRetry
from kiosk.call.quality import LinkCounts
from kiosk.call.turn_route import ice_servers_for_this_network

log = logging.getLogger("kiosk.call")
jitter.install()
encoder.install()

# No received video for this long: ask the sender for a keyframe, and again after as long.
KEYFRAME_AFTER_S = 0.3


@dataclass(frozen=True)
class RoomTicket:
    """What central hands a participant of one call (the kiosk's share of it)."""

    janus_url: str
    room: str
    token: str
    display: str
    ice_servers: list[dict[str, Any]] = field(default_factory=list)


def rtc_configuration(ice_servers: list[dict[str, Any]]) -> RTCConfiguration:
    servers = [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in ice_servers
    ]
    return RTCConfiguration(iceServers=servers)


SIDE_KINDS = ("interpreter:", "expert:")


def _is_side(publisher: dict[str, Any]) -> bool:
    """An interpreter or another organisation's expert (shown small beside the official),
    by the display desks set."""
    return str(publisher.get("display") or "").startswith(SIDE_KINDS)


def _sdp(desc: RTCSessionDescription) -> dict[str, str]:
    return {"type": desc.type, "sdp": desc.sdp}


class VideoRoomPeer:
    """The kiosk's publisher and one subscriber for everyone else in the room."""

    def __init__(
        self,
        ticket: RoomTicket,
        video: MediaStreamTrack | None,
        audio: MediaStreamTrack | None,
        when_remote_frame: Callable[[Any, str], None] | None = None,
        when_remote_audio: Callable[[Any, str], None] | None = None,
        relay: MediaRelay | None = None,
    ) -> None:
        self.ticket = ticket
        # Each PeerConnection sends its own proxy of the camera and microphone: closing a
        # connection (to rebuild it) then stops the proxy, never the source.
        self.relay = relay or MediaRelay()
        self.video = video
        self.audio = audio
        self.when_remote_frame = when_remote_frame
        self.when_remote_audio = when_remote_audio
        # Real-time text (T.140 over a data channel, RFC 8865): what others type, as they
        # type it, with who typed it ("official" or an interpreter's display).
        self.when_live_text: Callable[[str, str], None] | None = None
        self.live_text: Any = None
        # The channel each source's real-time text arrives on (the newest per source).
        self._live_text_in: dict[str, Any] = {}
        # Called with "connected", "failed", "left" (the others left) or "closed".
        self.when_state: Callable[[str], None] | None = None
        self.janus: JanusSession | None = None
        self.publisher_pc: RTCPeerConnection | None = None
        self.subscriber_pc: RTCPeerConnection | None = None
        self._publisher_handle = 0
        self._subscriber_handle = 0
        self._my_feed: str | int | None = None
        # Janus's private id of this publisher: rooms require it of every subscription
        # (`require_pvtid`), which ties subscribing to a publisher in the same room.
        self._private_id: int | None = None
        # Publishers Janus announced before it answered our join (another thread of Janus
        # may notify first): subscribed to once the private id is known.
        self._announced_early: list[dict[str, Any]] = []
        self._feeds: set[str | int] = set()
        # Interpreters and experts: feed -> (its own subscriber PeerConnection, its tasks).
        self._side: dict[str | int, tuple[RTCPeerConnection, list[asyncio.Task[None]]]] = {}
        # What each received stream is: mid -> the sender's Janus display, which desks set
        # to "official:<organisation>", "interpreter:<organisation>" or "expert:<organisation>".
        self.sources: dict[str, str] = {}
        self._drains: list[asyncio.Task[None]] = []
        self._subscribing = asyncio.Lock()
        self.ice_servers = ticket.ice_servers
        self.last_video_at = 0.0
        self.keyframes_asked = 0
        self._video_sources: set[int] = set()
        self._keyframes: asyncio.Task[None] | None = None
        self._nacks: asyncio.Task[None] | None = None

    # -- joining -------------------------------------------------------------------------
    async def join(self) -> None:
        self.ice_servers = await ice_servers_for_this_network(self.ticket.ice_servers)
        self.janus = JanusSession(self.ticket.janus_url, self.ticket.token)
        await self.janus.create()
        self._publisher_handle = await self.janus.attach(self._on_publisher_event)
        joined = await self.janus.message(
            self._publisher_handle,
            {
                "request": "join",
                "ptype": "publisher",
                "room": self.ticket.room,
                "display": self.ticket.display,
                "token": self.ticket.token,
            },
        )
        self._my_feed = joined.get("id")
        self._private_id = joined.get("private_id")
        self._keyframes = asyncio.ensure_future(self._ask_for_keyframes())
        self._nacks = asyncio.ensure_future(self._ask_again())
        listed = joined.get("publishers", []) + self._announced_early
        self._announced_early = []
        others = list({p["id"]: p for p in listed if p.get("id") != self._my_feed}.values())
        # aiortc's setRemoteDescription waits for ICE and DTLS: publishing and
        # subscribing one after the other would add the two set-ups up.
        if others:
            await asyncio.gather(self._publish(), self._receive(others))
        else:
            await self._publish()

    def _joined(self) -> JanusSession:
        """The session `join` made; asking before it (or after `leave`) is a bug."""
        if self.janus is None:
            raise JanusError("not in the room")
        return self.janus

    async def _publish(self) -> None:
        pc = RTCPeerConnection(rtc_configuration(self.ice_servers))
        self.publisher_pc = pc
        pc.on("connectionstatechange", lambda: self._state(pc))
        if self.audio is not None:
            pc.addTrack(self.relay.subscribe(self.audio))
        if self.video is not None:
            # Unbuffered: the encoder takes the newest frame. aiortc's default queues every
            # frame without limit, so an encoder that fell behind once stayed behind: in a
            # 10-minute call kiosk → desk latency had crept to 196 / 370 ms (p50 / p95).
            pc.addTrack(self.relay.subscribe(self.video, buffered=False))
        self.live_text = pc.createDataChannel("t140", protocol="t140")
        await pc.setLocalDescription(await pc.createOffer())
        answer = await self._joined().message(
            self._publisher_handle,
            {
                "request": "publish",
                "audio": self.audio is not None,
                "video": self.video is not None,
                "data": True,
            },
            jsep=_sdp(pc.localDescription),
        )
        jsep = answer.get("jsep")
        if not jsep:
            raise JanusError("the media server did not answer the kiosk's offer")
        await pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))

    async def _receive(self, publishers: list[dict[str, Any]]) -> None:
        """The officials' feeds into the main subscription; each interpreter's into one of
        its own. (aiortc routes RTP by SSRC or payload type and ignores the MID header:
        in one bundled subscription with two video streams of one payload type, Janus's
        packets of the second stream went to the first stream's decoder.)"""
        main = [p["id"] for p in publishers if not _is_side(p)]
        for publisher in publishers:
            if _is_side(publisher) and publisher["id"] not in self._side:
                try:
                    await self._subscribe_side(publisher)
                except (JanusError, OSError, TimeoutError) as exc:
                    log.warning("receiving %s failed: %s", publisher.get("display"), exc)
        if main:
            await self._subscribe(main)

    async def _subscribe_side(self, publisher: dict[str, Any]) -> None:
        assert self.janus is not None
        feed, source = publisher["id"], str(publisher.get("display") or "")
        pc = RTCPeerConnection(rtc_configuration(self.ice_servers))
        self._side[feed] = (pc, [])
        handle = await self.janus.attach(lambda event: None)
        attached = await self.janus.message(
            handle,
            {
                "request": "join",
                "ptype": "subscriber",
                "room": self.ticket.room,
                "streams": [{"feed": feed}],
                "private_id": self._private_id,
                "token": self.ticket.token,
            },
        )
        jsep = attached.get("jsep")
        if not jsep:
            raise JanusError("the media server offered no media to receive")
        drains = self._side[feed][1]

        def on_track(track: MediaStreamTrack) -> None:
            callback = self.when_remote_frame if track.kind == "video" else self.when_remote_audio
            drains.append(asyncio.ensure_future(self._drain(track, source, callback)))

        pc.on("track", on_track)
        pc.on("datachannel", lambda channel: self._on_live_text(channel, source))
        await pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))
        self._open_live_text(pc, source)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.janus.message(handle, {"request": "start"}, jsep=_sdp(pc.localDescription))

    def _open_live_text(self, pc: RTCPeerConnection, source: str) -> None:
        """A subscription's own "t140" channel: Janus relays data to a subscriber only once
        the subscriber has opened a channel, and then on the channel of the same label."""
        if pc.sctp is not None:  # the sender offers data
            self._on_live_text(pc.createDataChannel("t140", protocol="t140"), source)

    def _on_live_text(self, channel: Any, source: str) -> None:
        self._live_text_in[source] = channel

        def received(message: Any) -> None:
            if isinstance(message, bytes):
                message = message.decode("utf-8", "replace")
            if self.when_live_text is not None:
                self.when_live_text(source, message)

        channel.on("message", received)

    def live_text_open(self, source: str) -> bool:
        """Whether text both to everyone and from `source` can flow now (any thread)."""
        sending, receiving = self.live_text, self._live_text_in.get(source)
        return all(c is not None and c.readyState == "open" for c in (sending, receiving))

    def send_live_text(self, text: str) -> bool:
        """Characters as typed (U+0008 erases one, U+2028 ends a line), sent at once."""
        channel = self.live_text
        if channel is None or channel.readyState != "open":
            return False
        channel.send(text)
        return True

    async def _close_side(self, feed: str | int) -> None:
        pc, drains = self._side.pop(feed, (None, []))
        for task in drains:
            task.cancel()
        if pc is not None:
            await _close(pc)

    async def _subscribe(self, feeds: list[str | int], again: bool = False) -> None:
        """`again`: a new subscription to the same feeds (under the lock, so a subscription
        for a newcomer that is under way never sees the feeds half cleared)."""
        async with self._subscribing:
            if again:
                feeds = list(set(feeds) | self._feeds)
                self._feeds.clear()
            new = [f for f in feeds if f not in self._feeds]
            if not new:
                return
            self._feeds.update(new)
            # One subscriber PeerConnection per change keeps this simple: a new
            # participant replaces the subscription (rare: a call has few people).
            await self._close_subscriber()
            self._subscriber_handle = await self._joined().attach(lambda event: None)
            attached = await self._joined().message(
                self._subscriber_handle,
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": self.ticket.room,
                    "streams": [{"feed": f} for f in sorted(self._feeds, key=str)],
                    "private_id": self._private_id,
                    "token": self.ticket.token,
                },
            )
            jsep = attached.get("jsep")
            self.sources = {
                str(stream.get("mid")): str(stream.get("feed_display") or "")
                for stream in attached.get("streams", [])
            }
            if not jsep:
                raise JanusError("the media server offered no media to receive")
            pc = RTCPeerConnection(rtc_configuration(self.ice_servers))
            self.subscriber_pc = pc
            self._video_sources = set()
            pc.on("track", self._on_track)
            pc.on("datachannel", lambda channel: self._on_live_text(channel, "official"))
            pc.on("connectionstatechange", lambda: self._state(pc))
            await pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))
            self._open_live_text(pc, "official")
            await pc.setLocalDescription(await pc.createAnswer())
            await self._joined().message(
                self._subscriber_handle, {"request": "start"}, jsep=_sdp(pc.localDescription)
            )

    async def resubscribe(self) -> None:
        """A new subscriber PeerConnection for the same feeds: the cure for received video
        that stalled (aiortc can wait long for a keyframe after losses) without touching
        what the kiosk sends."""
        feeds = list(self._feeds)
        if feeds:
            await self._subscribe(feeds, again=True)

    def janus_answers(self, timeout_s: float = 1.0) -> bool:
        """Does the media server answer right now? (blocking; a quick probe before
        rebuilding anything over a link that may still be down)"""
        import requests

        try:
            # With the token: central's relay asks the Janus this call's room is on.
            url = f"{self.ticket.janus_url}/info"
            return requests.get(url, params={"token": self.ticket.token}, timeout=timeout_s).ok
        except requests.RequestException:
            return False

    @property
    def receiving_from(self) -> int:
        return len(self._feeds)

    # -- events --------------------------------------------------------------------------
    def _on_publisher_event(self, event: dict[str, Any]) -> None:
        data = event.get("plugindata", {}).get("data", {})
        publishers = [p for p in data.get("publishers", []) if p.get("id") != self._my_feed]
        if publishers and self._private_id is None:
            self._announced_early.extend(publishers)
        elif publishers:
            asyncio.ensure_future(self._receive(publishers)).add_done_callback(_log_failure)
        gone = data.get("unpublished") or data.get("leaving")
        if gone and gone != "ok" and gone in self._side:
            asyncio.ensure_future(self._close_side(gone))
        if gone and gone != "ok" and gone in self._feeds:
            self._feeds.discard(gone)
            if not self._feeds and self.when_state:
                self.when_state("left")
        if event.get("janus") == "hangup" and self.when_state:
            self.when_state("failed")

    def _state(self, pc: RTCPeerConnection) -> None:
        if self.when_state and pc.connectionState in ("connected", "failed"):
            self.when_state(pc.connectionState)

    def _on_track(self, track: MediaStreamTrack) -> None:
        callback = self.when_remote_frame if track.kind == "video" else self.when_remote_audio
        pc = self.subscriber_pc
        mid = next(
            (t.mid for t in (pc.getTransceivers() if pc else []) if t.receiver.track is track),
            None,
        )
        source = self.sources.get(str(mid), "")
        self._drains.append(asyncio.ensure_future(self._drain(track, source, callback)))

    async def _drain(
        self, track: MediaStreamTrack, source: str, callback: Callable[[Any, str], None] | None
    ) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.last_video_at = time.monotonic()
                if callback is not None:
                    callback(frame, source)

    def _receiving(self) -> list[RTCPeerConnection]:
        """The connections media comes in on: the main subscription and each side one."""
        side = [pc for pc, _tasks in self._side.values()]
        return ([self.subscriber_pc] if self.subscriber_pc is not None else []) + side

    async def _ask_again(self) -> None:
        """Every RETRY_S: a NACK again for packets each video receiver still misses
        (kiosk/call/jitter.py's NackRetry)."""
        retries: dict[Any, NackRetry] = {}  # receiver -> its retries
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(RETRY_S)
                alive = set()
                for pc in self._receiving():
                    for receiver in pc.getReceivers():
                        if receiver.track is None or receiver.track.kind != "video":
                            continue
                        alive.add(receiver)
                        retry = retries.setdefault(receiver, NackRetry())
                        for source in receiver.getSynchronizationSources():
                            try:
                                await retry.resend(receiver, source.source)
                            except Exception as exc:  # noqa: BLE001 - a transport going away
                                log.debug("asking again failed: %s", exc)
                for key in set(retries) - alive:  # bounded: closed connections' go
                    del retries[key]

    async def _ask_for_keyframes(self) -> None:
        """While video is expected and none arrives, a PLI every KEYFRAME_AFTER_S to each
        video sender (through Janus, which passes it to the official's browser).
        aiortc has no public call for it: its receiver's own `_send_rtcp_pli` is used."""
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                await asyncio.sleep(KEYFRAME_AFTER_S)
                pc = self.subscriber_pc
                if pc is None or not self._feeds:
                    continue
                if time.monotonic() - self.last_video_at < KEYFRAME_AFTER_S:
                    continue
                for receiver in pc.getReceivers():
                    if receiver.track is None or receiver.track.kind != "video":
                        continue
                    # Sources seen in the last 10 s; remembered for longer stalls.
                    self._video_sources.update(
                        s.source for s in receiver.getSynchronizationSources()
                    )
                    for ssrc in self._video_sources:
                        try:
                            await receiver._send_rtcp_pli(ssrc)  # noqa: SLF001
                            self.keyframes_asked += 1
                        except Exception as exc:  # noqa: BLE001 - a transport going away
                            log.debug("keyframe request failed: %s", exc)

    async def link_counts(self) -> LinkCounts:
        """Packet counters of every connection of this peer (kiosk/call/quality.py)."""
        counts = LinkCounts()
        for pc in self._receiving():
            for stat in (await pc.getStats()).values():
                if stat.type == "inbound-rtp":
                    counts.received += stat.packetsReceived
                    counts.lost += max(0, stat.packetsLost)
        if self.publisher_pc is not None:
            for stat in (await self.publisher_pc.getStats()).values():
                if stat.type == "outbound-rtp":
                    counts.sent += stat.packetsSent
                elif stat.type == "remote-inbound-rtp":
                    counts.sent_lost += max(0, stat.packetsLost)
        return counts

    # -- leaving -------------------------------------------------------------------------
    async def _close_subscriber(self) -> None:
        for task in self._drains:
            task.cancel()
        self._drains = []
        if self.subscriber_pc is not None:
            pc, self.subscriber_pc = self.subscriber_pc, None
            await _close(pc)

    async def leave(self) -> None:
        for feed in list(self._side):
            await self._close_side(feed)
        for task in (self._keyframes, self._nacks):
            if task is not None:
                task.cancel()
        self._keyframes = self._nacks = None
        await self._close_subscriber()
        if self.publisher_pc is not None:
            pc, self.publisher_pc = self.publisher_pc, None
            await _close(pc)
        if self.janus is not None:
            janus, self.janus = self.janus, None
            await janus.destroy()
        self._feeds.clear()


async def _close(pc: RTCPeerConnection) -> None:
    # close() can hang in aiortc (#283): never let it hold the kiosk.
    with contextlib.suppress(TimeoutError, Exception):
        await asyncio.wait_for(pc.close(), 5)


def _log_failure(task: asyncio.Future[None]) -> None:
    """A subscription started from an event has no one awaiting it: its failure is logged
    (the kiosk's stall watch rebuilds what did not come up)."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("receiving a new participant failed: %s", task.exception())
