"""The wire shapes of video calls between a kiosk and central (`/api/v1/kiosk/calls*`).

Like contract/kiosk_api.py: plain dataclasses the kiosk checks with `parse`
and central hands to FastAPI as response models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from contract.payments import PaymentAsk


class CallStatus(StrEnum):
    """A call's states: queued → active → ended, or queued → ended; `ended` has an outcome."""

    QUEUED = "queued"
    ACTIVE = "active"
    ENDED = "ended"


OPEN_CALL = frozenset({CallStatus.QUEUED, CallStatus.ACTIVE})


class CallOutcome(StrEnum):
    """How a call ended: what a kiosk or an official says, or what central decides."""

    COMPLETED = "completed"
    LEFT_QUEUE = "left_queue"  # the citizen left before anyone answered
    CANCELLED = "cancelled"
    FAILED = "failed"
    OFFICIAL_LEFT = "official_left"  # the official's desk went silent mid-call
    KIOSK_LOST = "kiosk_lost"  # the kiosk went silent mid-call
    REPLACED = "replaced"  # the kiosk started a new call


class IdentificationLevel(StrEnum):
    """How surely the citizen is known: weak, an ID document shown to the camera;
    strong, their ID card or Suomi.fi e-Identification checked by central."""

    NONE = "none"
    WEAK = "weak"
    STRONG = "strong"


class IdentificationMethod(StrEnum):
    """How a citizen was identified (the level's method; never the identity)."""

    DOCUMENT = "document"  # an ID document shown to the camera (weak)
    FINEID = "fineid"  # the ID card in the kiosk's reader
    SUOMIFI = "suomifi"  # Suomi.fi e-Identification by phone
    FTN = "ftn"  # a trust network broker's OpenID Connect


class PhoneStep(StrEnum):
    """Where identification by the citizen's phone is: the kiosk shows the QR (waiting),
    the phone took it to the identity provider (opened), then identified, refused (the
    provider's answer proved nothing or the citizen cancelled) or expired."""

    WAITING = "waiting"
    OPENED = "opened"
    IDENTIFIED = "identified"
    REFUSED = "refused"
    EXPIRED = "expired"


class LinkLevel(StrEnum):
    """A call's link as its kiosk measures it (loss on what it receives and sends)."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class Speaker(StrEnum):
    """Who wrote a chat line or spoke in the live text."""

    CITIZEN = "citizen"
    OFFICIAL = "official"
    INTERPRETER = "interpreter"
    EXPERT = "expert"


class PartyKind(StrEnum):
    """Who may join a call besides its citizen and official."""

    INTERPRETER = "interpreter"
    EXPERT = "expert"


class PartyStatus(StrEnum):
    """An invited party: requested → joined → left, or requested → cancelled."""

    REQUESTED = "requested"
    JOINED = "joined"
    LEFT = "left"
    CANCELLED = "cancelled"


OPEN_PARTY = frozenset({PartyStatus.REQUESTED, PartyStatus.JOINED})

MAX_MESSAGE_CHARS = 2000


@dataclass
class VideoAvailability:
    """`GET /kiosk/video/availability` → 200: can a citizen talk to someone now?"""

    available: bool
    officials_available: int
    queue_length: int
    estimated_wait_s: int
    # False: nobody serves this service by video at this service point (no agreement
    # covers it); the kiosk offers the service's other channels, never a call.
    served: bool = True


@dataclass
class RoomJoin:
    """What a participant needs to enter the call's room on the media server."""

    janus_url: str
    room: str
    token: str
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    # Which media server of central's pool the room is on, and how many times it moved
    # (its server died): when either changes, the participant connects again.
    media_server: str = ""
    media_epoch: int = 0


@dataclass
class ChatLine:
    id: int
    sender: Speaker
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

    kind: PartyKind
    organisation: str
    language: str | None = None


@dataclass
class CardChallenge:
    """`POST /kiosk/calls/{id}/identification/challenge` → 201: what the ID card signs
    (its hash: SHA-256 for an RSA card, SHA-384 for an EC card), single use, until
    `expires_at`."""

    challenge_id: str
    challenge: str  # base64
    expires_at: str


@dataclass
class PhoneHandoff:
    """`POST /kiosk/calls/{id}/identification/phone` → 201: the QR code's address (single
    use, opens until `expires_at`, two minutes) and the short code the phone shows too."""

    handoff_id: str
    address: str
    short_code: str
    expires_at: str
    method: IdentificationMethod


@dataclass
class PhoneProgress:
    """`GET /kiosk/calls/{id}/identification/phone/{handoff_id}`: where it is; once
    identified, the name the kiosk may show ("Matti M.")."""

    step: PhoneStep
    shown_name: str | None = None


@dataclass
class Identified:
    """`POST /kiosk/calls/{id}/identification/card` → 200: the level and what the kiosk
    may show ("Matti M."); the identity itself stays at central."""

    level: IdentificationLevel
    method: IdentificationMethod
    shown_name: str


@dataclass
class KioskCall:
    """`POST /kiosk/calls` → 201 and `GET /kiosk/calls/{id}` → 200."""

    id: str
    status: CallStatus
    position: int = 0
    estimated_wait_s: int = 0
    outcome: CallOutcome | None = None
    # False while the official's desk has stopped answering (tab closed, link lost).
    official_connected: bool = False
    # The level the official recorded (none; weak: an ID document shown to the camera).
    identification: IdentificationLevel = IdentificationLevel.NONE
    # How (document, fineid, …): for the call's usage event; never who.
    identification_method: IdentificationMethod | None = None
    # The official asks the citizen to identify so (fineid: with their ID card).
    identification_requested: IdentificationMethod | None = None
    join: RoomJoin | None = None
    messages: list[ChatLine] = field(default_factory=list)
    documents: list[DocumentRef] = field(default_factory=list)
    # Everyone who has joined (and may since have left), for the call's usage event.
    parties: list[PartyRef] = field(default_factory=list)
    # What the official asks the citizen to pay, while not yet accepted or declined.
    payment_request: PaymentAsk | None = None
