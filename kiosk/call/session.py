"""One citizen's video call, from "talk to an official" to the end, for the kiosk UI.

Runs on an asyncio loop in a thread of its own, so the UI never waits on the
network. It polls central for the call's state (queue place, room, chat,
documents) and runs the media with Janus once an official accepts. The UI
gets a `CallView` through `when_update` and decoded frames of the official
through `when_remote_frame`; both are called on the call's thread.

Faults it rides out:
- central unreachable: polling backs off, media goes on (it does not need central);
- media lost: a new PeerConnection is built (aiortc cannot restart ICE), with
  backoff, until `give_up_after_s`; then the call ends as `failed`;
- the official's desk gone: `official_connected` turns False and the UI says so.
At `close` every chat line, document and frame of the call is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay

from contract import call_api
from contract.call_api import (
    CallOutcome,
    CallStatus,
    IdentificationLevel,
    IdentificationMethod,
    LinkLevel,
)
from contract.kiosk_api import BadAnswer, parse
from contract.payments import PaymentAsk
from kiosk.agent.client import CentralClient, CentralRejected, CentralUnavailable
from kiosk.call.encoder import KioskVp8Encoder
from kiosk.call.janus import JanusError
from kiosk.call.quality import LinkCounts, LinkQuality, received_loss, sent_loss
from kiosk.call.room import SIDE_KINDS, RoomTicket, VideoRoomPeer
from kiosk.memory import release_free_memory

log = logging.getLogger("kiosk.call")

# Received video silent this long while connected: subscribe anew. The last resort:
# keyframe requests (room.py) bring the picture back sooner, and a new subscription
# must wait for a keyframe of its own.
STALL_S = 5.0
# No video and no media server for this long: an outage, not a stall; rejoin anew.
OUTAGE_S = 10.0


class MediaState(StrEnum):
    """The call's media as the UI shows it."""

    WAITING = "waiting"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


WAITING, CONNECTING, CONNECTED, RECONNECTING, FAILED = MediaState


@dataclass
class CallView:
    """What the call screen shows; a fresh copy on every change."""

    call_id: str = ""
    status: CallStatus | None = None  # None until central answered
    position: int = 0
    estimated_wait_s: int = 0
    outcome: CallOutcome | None = None
    official_connected: bool = False
    media: MediaState = MediaState.WAITING
    problem: str = ""  # a plain-language key: central_unreachable, no_camera, ...
    messages: list[call_api.ChatLine] = field(default_factory=list)
    documents: list[call_api.DocumentRef] = field(default_factory=list)
    connected_at: float | None = None  # monotonic, for the call's duration
    identification: IdentificationLevel = IdentificationLevel.NONE
    identification_method: IdentificationMethod | None = None
    # The official asks the citizen to identify so (fineid: the ID card).
    identification_requested: IdentificationMethod | None = None
    scans_sent: int = 0
    printed: int = 0
    # The link as the kiosk measures it: good, fair or poor (kiosk/call/quality.py).
    link: LinkLevel = LinkLevel.GOOD
    # Who joined besides the official (interpreters' languages, experts' organisations).
    parties: list[call_api.PartyRef] = field(default_factory=list)
    # What the official asks the citizen to pay, while unanswered.
    payment_request: PaymentAsk | None = None


class CallSession:
    def __init__(
        self,
        client: CentralClient,
        video: MediaStreamTrack | None,
        audio: MediaStreamTrack | None,
        poll_s: float = 1.0,
        give_up_after_s: float = 60.0,
    ) -> None:
        self.client = client
        self.video = video
        self.audio = audio
        self.poll_s = poll_s
        self.give_up_after_s = give_up_after_s
        self.view = CallView()
        self.when_update: Callable[[CallView], None] | None = None
        self.when_remote_frame: Callable[[np.ndarray], None] | None = None
        # Everyone else in the call (an interpreter, an expert): who (their Janus display)
        # and a frame.
        self.when_other_frame: Callable[[str, np.ndarray], None] | None = None
        # Sound of each sender, with who sent it (a speaker stream each: PipeWire mixes).
        self.when_remote_audio: Callable[[Any, str], None] | None = None
        # Real-time text from the others: (who, characters as they typed them).
        self.when_live_text: Callable[[str, str], None] | None = None
        self.peer: VideoRoomPeer | None = None
        # One relay for the whole call: every rebuilt connection gets its own proxy of
        # the camera and microphone (aiortc's MediaRelay), the sources stay open.
        self.relay = MediaRelay()
        self.requested_at = 0.0
        self.accepted_at: float | None = None
        self.first_frame_at: float | None = None
        self._after = 0
        self._tag: str | None = None  # the last answer's ETag, sent back with each poll
        self._join: call_api.RoomJoin | None = None
        self._lost_since: float | None = None
        self._next_try_at = 0.0
        self._tries = 0
        self._last_frame_at = 0.0
        self._resubscribed_at = 0.0
        self._resubscribing: asyncio.Task[None] | None = None
        # Central moved the call's room to another media server (its own died).
        self._room_moved = False
        self._closing = False
        self.link = LinkQuality()
        self._link_counts: LinkCounts | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="call", daemon=True)
        self._thread.start()
        self._task: concurrent.futures.Future[None] | None = None

    # -- from the UI thread -------------------------------------------------------------
    def start(self, service_id: str, language: str, booking_id: str | None = None) -> None:
        self.requested_at = time.monotonic()
        self._task = asyncio.run_coroutine_threadsafe(
            self._run(service_id, language, booking_id), self._loop
        )

    def send_message(self, text: str) -> None:
        self._submit(self._post_message(text))

    def send_scan(self, content: bytes, content_type: str, name: str) -> None:
        self._submit(self._post_scan(content, content_type, name))

    def document(self, document_id: str) -> bytes:
        """A shown document's bytes (blocking: call it off the UI thread)."""
        response = self.client.call(
            "GET", f"/kiosk/calls/{self.view.call_id}/documents/{document_id}"
        )
        return response.content

    def printed(self, document_id: str) -> None:
        self._submit(self._post_printed(document_id))

    def end(self, outcome: CallOutcome = CallOutcome.COMPLETED) -> None:
        """Hang up (or leave the queue); returns at once, the rest happens on the call's thread."""
        self._submit(self._end(outcome))

    def close(self, timeout_s: float = 10.0) -> None:
        """End the call if open, stop the thread, and forget everything of it."""
        if self._closing:
            return
        self._closing = True
        future = asyncio.run_coroutine_threadsafe(self._end(CallOutcome.CANCELLED), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout_s)
        if self._task is not None:
            self._task.cancel()
        # Cancel what is left, end the loop's worker threads, then the loop: a kiosk
        # makes calls for months, and nothing of one may outlive it.
        shutdown = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        with contextlib.suppress(Exception):
            shutdown.result(timeout_s)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()
        self.view = CallView()
        self._join = None
        self.when_update = self.when_remote_frame = self.when_remote_audio = None
        release_free_memory()
        self.when_other_frame = self.when_live_text = None

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._loop.shutdown_default_executor()

    def _submit(self, coroutine: Any) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.add_done_callback(self._log_failure)

    @staticmethod
    def _log_failure(future: Any) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.warning("call action failed: %s", future.exception())

    # -- on the call's thread -----------------------------------------------------------
    def _publish(self, **changes: Any) -> None:
        self.view = replace(self.view, **changes)
        if self.when_update is not None:
            self.when_update(self.view)

    async def _central(self, method: str, path: str, **kw: Any) -> Any:
        return await asyncio.to_thread(self.client.json, method, path, **kw)

    async def _run(self, service_id: str, language: str, booking_id: str | None) -> None:
        body = {"service_id": service_id, "language": language}
        if booking_id:
            body["booking_id"] = booking_id
        delay = self.poll_s
        while True:
            try:
                answer = await self._central("POST", "/kiosk/calls", json=body)
                break
            except CentralRejected as exc:
                self._publish(status=CallStatus.ENDED, outcome=CallOutcome.FAILED, problem=exc.code)
                return
            except CentralUnavailable:
                self._publish(problem="central_unreachable")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
        self._apply(answer)
        watching = asyncio.create_task(self._watch_link())
        try:
            await self._poll()
        finally:
            watching.cancel()

    async def _poll(self) -> None:
        delay = self.poll_s
        while self.view.status != CallStatus.ENDED:
            await asyncio.sleep(self.poll_s)
            try:
                answer, self._tag = await asyncio.to_thread(
                    self.client.poll,
                    f"/kiosk/calls/{self.view.call_id}",
                    self._tag,
                    params={
                        "after": self._after,
                        "link": self.view.link,
                        # What the official gets: their desk says when the citizen
                        # cannot be seen or heard.
                        "camera": "true" if self.video is not None else "false",
                        "microphone": "true" if self.audio is not None else "false",
                    },
                )
                delay = self.poll_s
            except CentralUnavailable:
                # Media needs no central: the call goes on, and so does asking.
                self._publish(problem="central_unreachable")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            except CentralRejected as exc:
                self._publish(status=CallStatus.ENDED, outcome=CallOutcome.FAILED, problem=exc.code)
                break
            if answer is not None:
                self._apply(answer)
            elif self.view.problem == "central_unreachable":
                self._publish(problem="")  # 304: central is back and nothing changed
            await self._keep_media()
        await self._leave_media()

    def _apply(self, answer: Any) -> None:
        try:
            call = parse(call_api.KioskCall, answer)
        except BadAnswer as exc:
            log.warning("central's call answer is malformed: %s", exc)
            return
        messages = list(self.view.messages)
        for line in call.messages:
            if line.id > self._after:
                messages.append(line)
                self._after = line.id
        documents, parties = call.documents, call.parties
        before, self._join = self._join, call.join
        if before is not None and call.join is not None and self.peer is not None:
            where = (call.join.media_server, call.join.media_epoch)
            self._room_moved |= (before.media_server, before.media_epoch) != where
        if call.status == CallStatus.ACTIVE and self.accepted_at is None:
            self.accepted_at = time.monotonic()
        problem = "" if self.view.problem == "central_unreachable" else self.view.problem
        self._publish(
            call_id=call.id,
            status=call.status,
            position=call.position,
            estimated_wait_s=call.estimated_wait_s,
            outcome=call.outcome,
            official_connected=call.official_connected,
            identification=call.identification,
            identification_method=call.identification_method,
            identification_requested=call.identification_requested,
            messages=messages[-200:],
            documents=documents if call.status != CallStatus.ENDED else [],
            # Kept once the call ends: its usage event is made from them.
            parties=parties or self.view.parties,
            payment_request=call.payment_request,
            problem=problem,
        )

    async def _keep_media(self) -> None:
        """Join once the call is active; rebuild the connection when it fails."""
        if self.view.status != CallStatus.ACTIVE or self._join is None:
            return
        if self.peer is None:
            await self._join_room(CONNECTING)
            return
        if self._room_moved:
            self._room_moved = False
            log.info("the call's room moved to media server %s: joining it there",
                     self._join.media_server)  # fmt: skip
            await self._leave_media()
            await self._join_room(RECONNECTING)
            return
        await self._watch_received_video()
        if self.view.media in (RECONNECTING, FAILED) and self._lost_since is not None:
            now = time.monotonic()
            if now - self._lost_since > self.give_up_after_s:
                self._publish(media=FAILED)
                await self._end(CallOutcome.FAILED)
                return
            if now < self._next_try_at:
                return
            # aiortc cannot restart ICE: a new PeerConnection, with backoff between tries.
            self._tries += 1
            self._next_try_at = now + min(2.0**self._tries, 8.0)
            await self._leave_media()
            await self._join_room(RECONNECTING)

    async def _watch_link(self) -> None:
        """Once a second: how lossy the link is, and what to send over it (a smaller
        picture and a lower bitrate on a poor link; the frame rate stays)."""
        while True:
            await asyncio.sleep(1.0)
            peer = self.peer
            if peer is None or self.view.media != CONNECTED:
                self._link_counts = None
                continue
            try:
                now = await peer.link_counts()
            except Exception as exc:  # noqa: BLE001 - a connection closing under us
                log.debug("link counters unavailable: %s", exc)
                continue
            before, self._link_counts = self._link_counts, now
            if before is None:
                continue
            level = self.link.observe(received_loss(before, now), sent_loss(before, now))
            profile = self.link.send
            KioskVp8Encoder.max_bitrate = profile.max_bitrate
            if self.video is not None and hasattr(self.video, "size"):
                self.video.size = (profile.width, profile.height)
            if level != self.view.link:
                log.info("link %s (%.1f %% lost)", level, (self.link.last_loss or 0) * 100)
                self._publish(link=level)

    async def _watch_received_video(self) -> None:
        """Video from the official that stopped while the connection is up (a stall after
        losses, or a link that was down) gets a new subscription, in the background so
        polling goes on, and only once the media server answers again."""
        peer = self.peer
        if peer is None or self.view.media != CONNECTED or not peer.receiving_from:
            return
        if self._resubscribing is not None and not self._resubscribing.done():
            return
        now = time.monotonic()
        # Counted from the connection too: a subscription that never showed a frame (a
        # set-up race on the media server) is rebuilt like one that stalled.
        since = max(self._last_frame_at, self._resubscribed_at, self.view.connected_at or 0.0)
        if since and now - since > STALL_S:
            self._resubscribed_at = now
            self._resubscribing = asyncio.create_task(self._resubscribe(peer))

    async def _resubscribe(self, peer: VideoRoomPeer) -> None:
        if not await asyncio.to_thread(peer.janus_answers):
            # The link is down. Long enough, and the media server will have let go of
            # this kiosk's connections too: rebuild them all, as soon as it answers.
            if time.monotonic() - self._last_frame_at > OUTAGE_S:
                self._next_try_at = 0.0
                self._on_media_state("failed")
            return
        try:
            await asyncio.wait_for(peer.resubscribe(), 8)
        except (JanusError, TimeoutError, OSError) as exc:
            log.info("resubscribing failed, trying again: %s", exc)

    async def _join_room(self, state: str) -> None:
        assert self._join is not None
        ticket = RoomTicket(
            janus_url=self._join.janus_url,
            room=self._join.room,
            token=self._join.token,
            # Newest join last: the desk shows the newest feed when an old one lingers.
            display=f"kiosk {time.time_ns()}",
            ice_servers=list(self._join.ice_servers),
        )
        self.peer = VideoRoomPeer(
            ticket,
            self.video,
            self.audio,
            self._on_remote_frame,
            self._on_remote_audio,
            relay=self.relay,
        )
        self.peer.when_state = self._on_media_state
        self.peer.when_live_text = self._on_live_text
        self._publish(media=state)
        try:
            await asyncio.wait_for(self.peer.join(), 20)
        except (JanusError, TimeoutError, OSError) as exc:
            log.warning("joining the call's room failed: %s", exc)
            self._on_media_state("failed")

    def _on_media_state(self, state: str) -> None:
        if state == "connected":
            self._lost_since = None
            self._tries = 0
            self._next_try_at = 0.0
            self._publish(media=CONNECTED, connected_at=self.view.connected_at or time.monotonic())
        elif state == "failed":
            if self._lost_since is None:
                self._lost_since = time.monotonic()
            self._publish(media=RECONNECTING)
        # "left" (the official's media went away) needs nothing here: central says whether
        # the official is still there, and their new media is subscribed to when it comes.

    def _on_live_text(self, source: str, text: str) -> None:
        if self.when_live_text is not None:
            self.when_live_text(source, text)

    def send_live_text(self, text: str) -> None:
        """Real-time text to everyone in the call, as the citizen types (any thread)."""
        peer = self.peer
        if peer is not None and not self._closing:
            self._loop.call_soon_threadsafe(peer.send_live_text, text)

    def _on_remote_audio(self, frame: Any, source: str) -> None:
        if self.when_remote_audio is not None:
            self.when_remote_audio(frame, source)

    def _on_remote_frame(self, frame: Any, source: str = "") -> None:
        if source.startswith(SIDE_KINDS):
            if self.when_other_frame is not None:
                self.when_other_frame(source, frame.to_ndarray(format="bgr24"))
            return
        self._last_frame_at = time.monotonic()
        if self.first_frame_at is None:
            self.first_frame_at = self._last_frame_at
        if self.when_remote_frame is not None:
            self.when_remote_frame(frame.to_ndarray(format="bgr24"))

    async def _leave_media(self) -> None:
        if self.peer is not None:
            peer, self.peer = self.peer, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.leave(), 10)

    async def _end(self, outcome: CallOutcome) -> None:
        await self._leave_media()
        if self.view.call_id and self.view.status != CallStatus.ENDED:
            try:
                answer = await self._central(
                    "POST", f"/kiosk/calls/{self.view.call_id}/end", json={"outcome": outcome}
                )
                self._apply(answer)
            except (CentralUnavailable, CentralRejected) as exc:
                # Central ends a call whose kiosk went quiet by itself.
                log.warning("could not tell central the call ended: %s", exc)
                self._publish(status=CallStatus.ENDED, outcome=outcome)

    async def _post_message(self, text: str) -> None:
        line = await self._central(
            "POST", f"/kiosk/calls/{self.view.call_id}/messages", json={"text": text}
        )
        chat = parse(call_api.ChatLine, line)
        if chat.id > self._after:
            self._after = chat.id
            self._publish(messages=[*self.view.messages, chat][-200:])

    async def _post_scan(self, content: bytes, content_type: str, name: str) -> None:
        await self._central(
            "POST",
            f"/kiosk/calls/{self.view.call_id}/scans",
            params={"name": name},
            data=content,
            headers={"Content-Type": content_type},
        )
        self._publish(scans_sent=self.view.scans_sent + 1)

    async def _post_printed(self, document_id: str) -> None:
        await self._central(
            "POST", f"/kiosk/calls/{self.view.call_id}/documents/{document_id}/printed"
        )
        self._publish(printed=self.view.printed + 1)
