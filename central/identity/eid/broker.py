"""What every e-identification route does for the phone route (phone_route.py): send
the phone to the identity provider with a memo of what was asked, and turn the
provider's answer into a `Person`, or refuse it with a reason the citizen can be shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from central.identity.sealed import Person
from contract.call_api import IdentificationMethod


class Refused(Exception):
    """The provider's answer proves nothing: unsigned, altered, replayed, expired, for
    another service, or the citizen cancelled. The message is safe to show."""


@dataclass(frozen=True)
class Begun:
    """Where the phone goes next, and what central keeps to check the answer (request
    ids, state, nonce: never anything about the person)."""

    redirect_to: str
    memo: dict[str, Any]


@dataclass(frozen=True)
class Proved:
    """The person, and what ending their provider session needs later (a transient
    name id and session index for SAML's single logout; nothing personal)."""

    person: Person
    session: dict[str, str]


class Broker(Protocol):
    method: IdentificationMethod

    def begin(self, relay: str, now: datetime) -> Begun:
        """An authentication request for the handoff `relay`, forcing a fresh login."""
        ...

    def finish(self, answer: Mapping[str, str], memo: Mapping[str, Any], now: datetime) -> Proved:
        """The person the provider's `answer` proves, for the request in `memo`."""
        ...
