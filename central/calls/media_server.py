"""The Janus room of each call, driven through Janus's admin API only.

One call is one VideoRoom room. Each participant gets a token derived from
central's secret, the call and the participant; central adds it to Janus
(`add_token`: without one, Janus answers nobody) and to the room's `allowed`
list, so a guessed room id gets nothing. At the call's end the room is
destroyed and the tokens taken back, which ends the access given for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import requests

from central.settings import Settings

TIMEOUT_S = 5.0
VIDEOROOM = "janus.plugin.videoroom"


class MediaServerError(RuntimeError):
    pass


def participant_token(secret: bytes, call_id: str, who: str) -> str:
    """The one token that lets `who` ("kiosk" or a user id) into this call's room."""
    return hmac.new(secret, f"call-room:{call_id}:{who}".encode(), hashlib.sha256).hexdigest()


def room_name(call_id: str) -> str:
    return f"call-{call_id}"


class JanusRooms:
    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.secret = secret
        self.http = requests.Session()

    @property
    def configured(self) -> bool:
        return bool(self.settings.janus_url and self.settings.janus_admin_url)

    def _admin(self, body: dict[str, Any]) -> dict[str, Any]:
        request = {
            **body,
            "transaction": secrets.token_hex(8),
            "admin_secret": self.settings.janus_admin_secret,
        }
        try:
            answer = self.http.post(
                self.settings.janus_admin_url, json=request, timeout=TIMEOUT_S
            ).json()
        except (requests.RequestException, ValueError) as exc:
            raise MediaServerError(f"the media server cannot be reached: {exc}") from exc
        if answer.get("janus") == "error":
            raise MediaServerError(str(answer.get("error", {}).get("reason", answer)))
        return answer

    def _videoroom(self, request: dict[str, Any]) -> dict[str, Any]:
        answer = self._admin(
            {
                "janus": "message_plugin",
                "plugin": VIDEOROOM,
                "request": {**request, "admin_key": self.settings.janus_room_admin_key},
            }
        )
        response = answer.get("response", {})
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
                    "room": room,
                    "description": "palvelupiste call",
                    "is_private": True,
                    "allowed": tokens,
                    "publishers": 6,
                    "audiocodec": "opus",
                    "videocodec": "vp8",
                    "bitrate": 1_000_000,
                    "fir_freq": 5,
                }
            )
        except MediaServerError as exc:
            if "already exists" not in str(exc):
                raise

    def let_in(self, room: str, token: str) -> None:
        """One more participant (an interpreter) into an open room."""
        self._admin({"janus": "add_token", "token": token, "plugins": [VIDEOROOM]})
        self._videoroom({"request": "allowed", "room": room, "action": "add", "allowed": [token]})

    def send_away(self, room: str, token: str) -> None:
        """A participant who left: their token no longer opens the room or Janus."""
        try:
            self._videoroom(
                {"request": "allowed", "room": room, "action": "remove", "allowed": [token]}
            )
        finally:
            self._admin({"janus": "remove_token", "token": token})

    def close_room(self, room: str, tokens: list[str]) -> None:
        """Destroys the room (everyone in it is sent away) and takes the tokens back."""
        try:
            self._videoroom({"request": "destroy", "room": room})
        except MediaServerError as exc:
            if "no such room" not in str(exc).lower():
                raise
        for token in tokens:
            try:
                self._admin({"janus": "remove_token", "token": token})
            except MediaServerError as exc:
                if "not found" not in str(exc).lower():
                    raise
