"""Janus's client API, relayed by central: each participant's requests reach only their
own call's room.

Janus checks a token on every request, and its VideoRoom a room's allowed list on
every publisher's join (and, with `require_pvtid`, every subscription); but any valid
token may ask `listparticipants` or `exists` of any room whose id its holder knows (a
party who left knows theirs). So participants do not talk to Janus directly: they
talk to `/janus/` on central, which forwards to Janus (`janus_url`, reachable only by
central) what their token may do, and refuses the rest with Janus's own error shape:
- the token must be one central issued (`<call>.<who>.<mac>`) for a call that is
  active, held by its kiosk, its official or a party joined now;
- only the VideoRoom plugin, and only the requests a participant needs (join,
  configure, publish, unpublish, start, pause, switch, subscribe, unsubscribe,
  update, leave); a `room` named must be the call's own.
Media (ICE, DTLS, SRTP) still flows between the participant and Janus directly.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from central.api.deps import secret_key_of, sessions_of, settings_of
from central.calls.media_server import participant_token
from central.calls.turn import ice_servers
from central.db.models import Call, CallParty
from central.web.links import public_base
from contract.call_api import CallStatus, PartyStatus

router = APIRouter(include_in_schema=False)

PLUGIN = "janus.plugin.videoroom"
CORE = frozenset({"create", "attach", "message", "trickle", "keepalive", "detach", "hangup",
                  "destroy"})  # fmt: skip
ROOM_REQUESTS = frozenset(
    {"join", "joinandconfigure", "configure", "publish", "unpublish", "start", "pause",
     "switch", "subscribe", "unsubscribe", "update", "leave"}
)  # fmt: skip
POLL_TIMEOUT_S = 40.0  # Janus answers a long poll within 30 s
REQUEST_TIMEOUT_S = 10.0
KIOSK = "kiosk"


def room_join(request: Request, call: Call, who: str, label: str) -> dict[str, Any]:
    """What participant `who` needs to enter the call's room (contract/call_api.py
    `RoomJoin`): central's relay, or (with `janus_relay` off, for a trusted network
    only) the call's Janus itself; the TURN servers of that Janus; which Janus it is."""
    settings = settings_of(request)
    server = request.app.state.rooms.server_of(call).server
    return {
        "janus_url": f"{public_base(request)}/janus" if settings.janus_relay else server.url,
        "room": call.room or "",
        "token": participant_token(secret_key_of(request), call.id, who),
        "ice_servers": ice_servers(server, settings.turn_credential_ttl_s, label),
        "media_server": server.name,
        "media_epoch": call.media_epoch or 0,
    }


def _refusal(reason: str, transaction: str | None = None, code: int = 403) -> Response:
    body = {"janus": "error", "error": {"code": code, "reason": reason}}
    if transaction:
        body["transaction"] = transaction
    return Response(json.dumps(body), media_type="application/json")


def _room_of(request: Request, token: str) -> tuple[str, str] | None:
    """The room this token may reach now and the client API of the Janus it is on, or
    None."""
    call_id, _, rest = token.partition(".")
    who, _, _mac = rest.partition(".")
    secret = secret_key_of(request)
    if (
        not call_id
        or not who
        or not hmac.compare_digest(token, participant_token(secret, call_id, who))
    ):
        return None
    with sessions_of(request)() as db:
        call = db.get(Call, call_id)
        if call is None or call.status != CallStatus.ACTIVE or not call.room:
            return None
        place = (str(call.room), request.app.state.rooms.server_of(call).server.url)
        if who == KIOSK or who == call.official_id:
            return place
        joined = db.scalar(
            select(CallParty.id).where(
                CallParty.call_id == call.id,
                CallParty.user_id == who,
                CallParty.status == PartyStatus.JOINED,
            )
        )
        return place if joined else None


def _why_not(body: dict[str, Any], room: str) -> str | None:
    """Why a participant of `room` may not send this request (None: they may)."""
    kind = body.get("janus")
    if kind not in CORE:
        return f"'{kind}' is not for participants"
    if kind == "attach" and body.get("plugin") != PLUGIN:
        return "only the VideoRoom plugin"
    if kind == "message":
        inner = body.get("body")
        if not isinstance(inner, dict) or inner.get("request") not in ROOM_REQUESTS:
            return "that VideoRoom request is not for participants"
        if "room" in inner and inner["room"] != room:
            return "not your call's room"
    return None


def _client(request: Request) -> httpx.AsyncClient:
    client = getattr(request.app.state, "janus_http", None)
    if client is None:
        client = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S)
        request.app.state.janus_http = client
    return client


async def _forward(request: Request, base: str, path: str, content: bytes | None) -> Response:
    base = base.rstrip("/")
    timeout = POLL_TIMEOUT_S if request.method == "GET" else REQUEST_TIMEOUT_S
    try:
        answer = await _client(request).request(
            request.method,
            base + path,
            params=dict(request.query_params),
            content=content,
            headers={"content-type": "application/json"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        return _refusal(f"the media server cannot be reached: {type(exc).__name__}", code=503)
    return Response(answer.content, status_code=answer.status_code, media_type="application/json")


async def _relay(request: Request, path: str) -> Response:
    if not request.app.state.rooms.configured:
        return _refusal("no media server is configured", code=503)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        place = await run_in_threadpool(_room_of, request, token)
        if place is None:
            return _refusal("Unauthorized request (wrong or missing secret/token)")
        return await _forward(request, place[1], path, None)
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        return _refusal("the request is not JSON", code=400)
    if not isinstance(body, dict):
        return _refusal("the request is not a JSON object", code=400)
    transaction = body.get("transaction") if isinstance(body.get("transaction"), str) else None
    place = await run_in_threadpool(_room_of, request, str(body.get("token") or ""))
    if place is None:
        return _refusal("Unauthorized request (wrong or missing secret/token)", transaction)
    if (why := _why_not(body, place[0])) is not None:
        return _refusal(f"Unauthorized request ({why})", transaction)
    return await _forward(request, place[1], path, raw)


@router.api_route("/janus", methods=["POST"])
async def root(request: Request) -> Response:
    return await _relay(request, "")


@router.get("/janus/info")
async def info(request: Request) -> Response:
    """Does the call's Janus answer? (`?token=`: the kiosk and the desk ask before they
    rebuild a connection.)"""
    return await _relay(request, "/info")


@router.api_route("/janus/{session_id}", methods=["GET", "POST"])
async def session(session_id: int, request: Request) -> Response:
    return await _relay(request, f"/{session_id}")


@router.api_route("/janus/{session_id}/{handle_id}", methods=["POST"])
async def handle(session_id: int, handle_id: int, request: Request) -> Response:
    return await _relay(request, f"/{session_id}/{handle_id}")
