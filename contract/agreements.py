"""Agreements between organisations, as the API carries them: what kind, which state,
how the provider compensates the host. docs/api.md, "Agreements", says what each means."""

from __future__ import annotations

from enum import StrEnum


class AgreementKind(StrEnum):
    # A provider (an authority) serves its services at a host's sites (a municipality's).
    SERVICE = "service"
    # An interpretation service interprets for the calls of the other party's officials.
    INTERPRETATION = "interpretation"


class AgreementStatus(StrEnum):
    PROPOSED = "proposed"  # by one side's admin; in force once the other side accepts
    ACTIVE = "active"  # accepted (or made by the national admin): in force while valid
    DECLINED = "declined"  # a proposal the other side refused, or its proposer withdrew
    ENDED = "ended"  # ended by either side: no new calls from that moment


# An agreement in these states can still change state; the others are history.
OPEN_AGREEMENT = frozenset({AgreementStatus.PROPOSED, AgreementStatus.ACTIVE})


class CompensationBasis(StrEnum):
    PER_CALL = "per_call"  # amount × calls served
    PER_STARTED_MINUTE = "per_started_minute"  # amount × minutes begun, call by call
    MONTHLY_PER_SITE = "monthly_per_site"  # amount × sites covered, for each month in force


class AgreementAction(StrEnum):
    """One line of an agreement's history."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    CREATED = "created"  # by the national admin, in force at once
    DECLINED = "declined"
    ENDED = "ended"
