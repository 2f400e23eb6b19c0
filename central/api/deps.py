"""What routes depend on, declared once and typed (after the full-stack FastAPI template's
`api/deps.py`): a route names `db: SessionDep` or `settings: SettingsDep` instead of
reaching into `request.app.state`, whose attributes have no types. Code that is handed a
request rather than declaring parameters uses the typed accessors below.
"""

from __future__ import annotations

from threading import BoundedSemaphore
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from central.access.policy import Device, authenticate_device, get_session
from central.calls.media_pool import JanusRooms
from central.errors import ApiError
from central.settings import Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def secret_key_of(request: Request) -> bytes:
    key: bytes = request.app.state.secret_key
    return key


def sessions_of(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def media_rooms_of(request: Request) -> JanusRooms:
    """The media server's rooms, configured or not (ending a call works without one)."""
    rooms: JanusRooms = request.app.state.rooms
    return rooms


def rooms_of(request: Request) -> JanusRooms:
    """The media server's rooms, for what needs one: 409 where no video service is set up."""
    rooms = media_rooms_of(request)
    if not rooms.configured:
        raise ApiError(409, "video_not_configured", "This service point has no video service.")
    return rooms


def password_checkers_of(request: Request) -> BoundedSemaphore:
    checkers: BoundedSemaphore = request.app.state.password_checkers
    return checkers


SessionDep = Annotated[Session, Depends(get_session)]
DeviceDep = Annotated[Device, Depends(authenticate_device)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
SecretKeyDep = Annotated[bytes, Depends(secret_key_of)]
RoomsDep = Annotated[JanusRooms, Depends(media_rooms_of)]
