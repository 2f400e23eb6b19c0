"""The queue of video calls: one rule for its order, read by both of its ends.

A call waits in its provider's queue (the organisation whose officials serve it: the
kiosk's own, or another under an agreement) from the moment a kiosk asks until an official
takes it, oldest first (ties by id, so two calls of the same instant keep one order).
The desk lists the calls an official may take in that order (`for_official`); a
citizen's "you are number N" counts the calls of the same service and language ahead of
theirs in it (`ahead_of`). Both read `_waiting`, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from central.db.models import Call, OfficialProfile, User
from contract.call_api import CallStatus

# What a desk lists at most: an official never scrolls past this many waiting citizens.
SHOWN = 200


def _waiting(provider_id: str) -> Select[Call]:
    return (
        select(Call)
        .where(Call.provider_id == provider_id, Call.status == CallStatus.QUEUED)
        .order_by(Call.created_at, Call.id)
    )


def waiting_now(db: Session, provider_id: str) -> list[tuple[str, str, int, datetime]]:
    """The provider's queue as a supervisor reads it: (service, language, calls waiting,
    since when the longest has waited), longest wait first."""
    rows = db.execute(
        select(Call.service_id, Call.language, func.count(), func.min(Call.created_at))
        .where(Call.provider_id == provider_id, Call.status == CallStatus.QUEUED)
        .group_by(Call.service_id, Call.language)
    ).all()
    return sorted(((s, lang, n, oldest) for s, lang, n, oldest in rows), key=lambda r: r[3])


def may_take(call: Call, official: User, profile: OfficialProfile) -> bool:
    """A call asked for this official by name, or one of a service and language they
    serve, of the calls their organisation serves (at its own sites or under agreements)."""
    if call.provider_id != official.org_id:
        return False
    if call.wanted_official_id:
        return call.wanted_official_id == official.id
    return call.service_id in (profile.services or []) and call.language in (
        profile.languages or []
    )


def for_official(
    db: Session, official: User, profile: OfficialProfile, quiet_since: datetime
) -> list[Call]:
    """The waiting calls this official may take (`may_take`, in SQL: a desk polls every
    2 s), in the queue's order; none whose kiosk has been quiet since `quiet_since` (it
    has left; the periodic sweep ends it)."""
    if official.org_id is None:
        return []
    takeable = (Call.wanted_official_id == official.id) | (
        Call.wanted_official_id.is_(None)
        & Call.service_id.in_(list(profile.services or []))
        & Call.language.in_(list(profile.languages or []))
    )
    query = _waiting(official.org_id).where(takeable, Call.kiosk_seen_at >= quiet_since)
    return list(db.scalars(query.limit(SHOWN)))


def ahead_of(
    db: Session, provider_id: str, service_id: str, language: str, queued_at: datetime | None
) -> int:
    """Calls of this service and language before one queued at `queued_at` (None: a
    newcomer, behind all of them), in the provider's queue across every site it serves."""
    waiting = _waiting(provider_id).where(Call.service_id == service_id, Call.language == language)
    if queued_at is not None:
        waiting = waiting.where(Call.created_at < queued_at)
    counted = select(func.count()).select_from(waiting.order_by(None).subquery())
    return int(db.scalar(counted) or 0)
