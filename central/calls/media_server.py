"""The Janus room of each call, driven through Janus's admin API only.

One call is one VideoRoom room, sealed so that only the call's current
participants reach it (docs/security.md, "call rooms"):
- its id is random (`new_room_id`), not derived from anything a client sees
  elsewhere, and Janus runs with `string_ids`;
- it is created with a `secret` only central knows (derived from central's key
  and the room id): changing its allowed list, kicking, editing, recording and
  destroying it need that secret, so a participant's token cannot do any of it;
- `require_pvtid`: a subscriber must name the private id of a publisher in the
  same room, and a publisher must hold a token on the room's `allowed` list, so a
  token of another call subscribes to nothing here;
- each participant's token is derived from central's key, the call and the
  participant; central adds it to Janus (`add_token`: without one, Janus answers
  nobody) and to the room's `allowed` list. A participant who leaves has it taken
  out of both, and every Janus session that holds it is destroyed (their
  publisher and subscriptions with it). `send_away` raises until Janus confirms;
  callers retry (`central/calls/media_cleanup.py`).
RTP forwarding is locked to the VideoRoom admin key (`lock_rtp_forward`, set in
Janus's config: docs/operator.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_S = 5.0
VIDEOROOM = "janus.plugin.videoroom"
# How many Janus sessions `send_away` looks through at most for a departed token.
MAX_SESSIONS_SCANNED = 5000


class MediaServerError(RuntimeError):
    pass


def participant_token(secret: bytes, call_id: str, who: str) -> str:
    """The one token that lets `who` ("kiosk" or a user id) into this call's room. It
    names the call and the holder (`<call>.<who>.<mac>`), so central's relay of Janus's
    client API (central/calls/janus_relay.py) tells whose it is without a table."""
    mac = hmac.new(secret, f"call-room:{call_id}:{who}".encode(), hashlib.sha256).hexdigest()
    return f"{call_id}.{who}.{mac}"


def room_secret(secret: bytes, room: str) -> str:
    """The room's Janus `secret`: only central, which holds `secret`, can compute it."""
    return hmac.new(secret, f"room-secret:{room}".encode(), hashlib.sha256).hexdigest()


def new_room_id() -> str:
    """A room id nobody can guess or derive from a call id (128 random bits)."""
    return "room-" + secrets.token_urlsafe(16)


def _not_found(exc: Exception) -> bool:
    """Janus's words for something already gone (a token it no longer has answers
    "Error removing token": removing fails only for a token it does not hold)."""
    text = str(exc).lower()
    return "not found" in text or "no such" in text or "error removing token" in text


@dataclass(frozen=True)
class MediaServer:
    """One Janus of the pool (central/calls/media_pool.py) and the TURN servers that go
    with it: `name` is what a call records and participants are told."""

    name: str
    url: str  # the client API, reachable by central (its relay) or by participants
    admin_url: str
    admin_secret: str
    room_admin_key: str
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""


class JanusServer:
    """The rooms on one Janus."""

    def __init__(self, server: MediaServer, secret: bytes) -> None:
        self.server = server
        self.secret = secret
        self.http = requests.Session()

    def answers(self, timeout_s: float = 1.0) -> bool:
        """Does this Janus answer its client API's `info` now?"""
        try:
            return self.http.get(f"{self.server.url.rstrip('/')}/info", timeout=timeout_s).ok
        except requests.RequestException:
            return False

    def _admin(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        request = {
            **body,
            "transaction": secrets.token_hex(8),
            "admin_secret": self.server.admin_secret,
        }
        url = self.server.admin_url.rstrip("/") + path
        try:
            answer: dict[str, Any] = self.http.post(url, json=request, timeout=TIMEOUT_S).json()
        except (requests.RequestException, ValueError) as exc:
            raise MediaServerError(f"the media server cannot be reached: {exc}") from exc
        if answer.get("janus") == "error":
            raise MediaServerError(str(answer.get("error", {}).get("reason", answer)))
        return answer

    def _videoroom(self, request: dict[str, Any], room: str | None = None) -> dict[str, Any]:
        """A VideoRoom request with the admin key and, for a room, the room's secret."""
        body = {**request, "admin_key": self.server.room_admin_key}
        if room is not None:
            body["room"] = room
            body["secret"] = room_secret(self.secret, room)
        answer = self._admin({"janus": "message_plugin", "plugin": VIDEOROOM, "request": body})
        response: dict[str, Any] = answer.get("response", {})
        if "error" in response:
            raise MediaServerError(str(response["error"]))
        return response

    def open_room(self, room: str, tokens: list[str]) -> None:
        for token in tokens:
            self._admin({"janus": "add_token", "token": token, "plugins": [VIDEOROOM]})
        try:
            self._videoroom(
                {
                    "request": "create",
                    "description": "palvelupiste call",
                    "is_private": True,
                    "allowed": tokens,
                    "require_pvtid": True,
                    "lock_record": True,
                    "record": False,
                    "publishers": 6,
                    "audiocodec": "opus",
                    "videocodec": "vp8",
                    "bitrate": 1_000_000,
                    "fir_freq": 5,
                },
                room,
            )
        except MediaServerError as exc:
            if "already exists" not in str(exc):
                raise

    def let_in(self, room: str, token: str) -> None:
        """One more participant (an interpreter, an expert) into an open room."""
        self._admin({"janus": "add_token", "token": token, "plugins": [VIDEOROOM]})
        self._videoroom({"request": "allowed", "action": "add", "allowed": [token]}, room)

    def send_away(self, room: str, token: str) -> None:
        """A participant who left: their token opens neither the room nor Janus, and every
        Janus session holding it (publisher, subscriptions) is gone. Raises unless Janus
        confirmed each step; safe to repeat."""
        try:
            self._videoroom({"request": "allowed", "action": "remove", "allowed": [token]}, room)
        except MediaServerError as exc:
            if not _not_found(exc):  # a room already destroyed lets nobody in
                raise
        try:
            self._admin({"janus": "remove_token", "token": token})
        except MediaServerError as exc:
            if not _not_found(exc):
                raise
        for session_id in self.sessions_holding(token):
            try:
                self._admin({"janus": "destroy_session"}, f"/{session_id}")
            except MediaServerError as exc:
                if not _not_found(exc):
                    raise

    def sessions_holding(self, token: str) -> list[int]:
        """Janus sessions with a handle attached under `token` (Janus keeps each handle's
        token: admin `handle_info`)."""
        sessions = self._admin({"janus": "list_sessions"}).get("sessions", [])
        found = []
        for session_id in sessions[:MAX_SESSIONS_SCANNED]:
            try:
                handles = self._admin({"janus": "list_handles"}, f"/{session_id}").get(
                    "handles", []
                )
                for handle_id in handles:
                    info = self._admin({"janus": "handle_info"}, f"/{session_id}/{handle_id}")
                    if info.get("info", {}).get("token") == token:
                        found.append(session_id)
                        break
            except MediaServerError as exc:
                if not _not_found(exc):  # a session that ended meanwhile is fine
                    raise
        return found

    def close_room(self, room: str, tokens: list[str]) -> None:
        """Destroys the room (everyone in it is sent away) and takes the tokens back."""
        try:
            self._videoroom({"request": "destroy"}, room)
        except MediaServerError as exc:
            if not _not_found(exc):
                raise
        for token in tokens:
            try:
                self._admin({"janus": "remove_token", "token": token})
            except MediaServerError as exc:
                if not _not_found(exc):
                    raise
