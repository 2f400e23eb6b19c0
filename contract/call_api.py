"""The wire shapes of video calls between a kiosk and central (`/api/v1/kiosk/calls*`).

Like contract/kiosk_api.py: plain dataclasses the kiosk checks with `parse`
and central hands to FastAPI as response models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A call's states; `ended` carries an outcome.
QUEUED, ACTIVE, ENDED = "queued", "active", "ended"
# Outcomes a kiosk or an official may end a call with, and those central sets itself.
OUTCOMES = frozenset(
    {"completed", "left_queue", "cancelled", "failed", "official_left", "kiosk_lost", "replaced"}
)
IDENTIFICATION_LEVELS = ("none", "weak")
# A call's link as its kiosk measures it (loss on what it receives and sends).
LINK_LEVELS = ("good", "fair", "poor")
MAX_MESSAGE_CHARS = 2000


@dataclass
class VideoAvailability:
    """`GET /kiosk/video/availability` → 200: can a citizen talk to someone now?"""

    available: bool
    officials_available: int
    queue_length: int
    estimated_wait_s: int


@dataclass
class RoomJoin:
    """What a participant needs to enter the call's room on the media server."""

    janus_url: str
    room: str
    token: str
    ice_servers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChatLine:
    id: int
    sender: str  # citizen | official | interpreter | expert
    text: str
    at: str


@dataclass
class DocumentRef:
    id: str
    name: str
    content_type: str
    size: int
    printed: bool = False


@dataclass
class PartyRef:
    """Someone who joined the call besides its official: what the usage figures count
    (an interpreter's language, an expert's organisation), never who they are."""

    kind: str  # interpreter | expert
    organisation: str
    language: str | None = None


@dataclass
class KioskCall:
    """`POST /kiosk/calls` → 201 and `GET /kiosk/calls/{id}` → 200."""

    id: str
    status: str
    position: int = 0
    estimated_wait_s: int = 0
    outcome: str | None = None
    # False while the official's desk has stopped answering (tab closed, link lost).
    official_connected: bool = False
    # The level the official recorded (none; weak: an ID document shown to the camera).
    identification: str = "none"
    join: RoomJoin | None = None
    messages: list[ChatLine] = field(default_factory=list)
    documents: list[DocumentRef] = field(default_factory=list)
    # Everyone who has joined (and may since have left), for the call's usage event.
    parties: list[PartyRef] = field(default_factory=list)
