"""Deployments: a release rolled out in phases, each opened only when the last one is
healthy (after hawkBit's rollout groups and Mender's phased deployments).

Phases: the canary (1 kiosk, 2 from 20 kiosks up, the most recently seen first), then
10 % of the fleet, then all. A phase opens by itself when `success_threshold` of the
kiosks released so far have committed the release. A deployment pauses at the first
failure of a canary, and whenever failures exceed `error_threshold` (default 5 %; hawkBit's
50 % is too loose for a small fleet) of the kiosks released so far. A person resumes it
(the failures seen then are acknowledged: only new ones pause it again) or cancels it.

Kiosks learn what is wanted of them from their heartbeat answer (`release`), and report
each step of their updater in their heartbeats (`update`); `heartbeat()` below does both
in the heartbeat's own transaction.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from tuf.api.exceptions import RepositoryError
from tuf.api.metadata import Metadata, Targets

from central.access.policy import Access
from central.db.models import Deployment, DeploymentKiosk, Kiosk
from central.db.types import UTCDateTime, utcnow
from central.errors import ApiError, not_found
from contract.release import FAILED_ROLLOUT, FINAL_ROLLOUT, RolloutState, bundle_name

RUNNING, PAUSED, CANCELLED, COMPLETED = "running", "paused", "cancelled", "completed"
PHASES = ("canary", "10 %", "all")
# What a kiosk may report (checked on each heartbeat that carries a report).
KIOSK_STATES = frozenset(RolloutState)


def phase_sizes(count: int) -> list[int]:
    """How many kiosks have been released once each phase is open (cumulative)."""
    if count == 0:
        return [0, 0, 0]
    canary = 1 if count < 20 else 2
    tenth = min(count, max(canary + 1, math.ceil(count * 0.1)))
    return [canary, tenth, count]


def _selected_kiosks(access: Access, selector: dict[str, Any]) -> list[Kiosk]:
    query = select(Kiosk).where(Kiosk.retired_at.is_(None), access.org_filter(Kiosk.org_id))
    if selector.get("organisation_id"):
        access.org(selector["organisation_id"])
        query = query.where(Kiosk.org_id == selector["organisation_id"])
    elif selector.get("site_id"):
        access.site(selector["site_id"])
        query = query.where(Kiosk.site_id == selector["site_id"])
    elif selector.get("kiosk_ids"):
        wanted = list(dict.fromkeys(selector["kiosk_ids"]))
        for kiosk_id in wanted:
            access.kiosk(kiosk_id)
        query = query.where(Kiosk.id.in_(wanted))
    kiosks = list(access.db.scalars(query))
    if selector.get("tag"):
        kiosks = [k for k in kiosks if selector["tag"] in (k.tags or [])]
    # The canary should answer soon: the most recently seen first, then a stable order.
    return sorted(kiosks, key=lambda k: (-(k.last_seen.timestamp() if k.last_seen else 0), k.id))


def create(
    access: Access,
    release: str,
    target: str | None,
    selector: dict[str, Any],
    error_threshold: float = 0.05,
    success_threshold: float = 0.9,
    published: set[str] | None = None,
) -> Deployment:
    """A new deployment with its canary released at once; the caller commits.

    `published`: the bundles the release repository lists (None: not checked, for a
    repository central does not serve itself)."""
    target = target or bundle_name(release)
    if published is not None and target not in published:
        raise ApiError(
            422,
            "release_not_published",
            f"The release repository has no {target}; publish it with 'central release add'.",
        )
    kiosks = _selected_kiosks(access, selector)
    if not kiosks:
        raise ApiError(422, "no_kiosks", "No kiosk in service matches this deployment's target.")
    orgs = {k.org_id for k in kiosks}
    now = utcnow()
    deployment = Deployment(
        org_id=orgs.pop() if len(orgs) == 1 else None,
        release=release,
        target=target,
        selector=selector,
        status=RUNNING,
        phase=0,
        error_threshold=error_threshold,
        success_threshold=success_threshold,
        failures_acknowledged=0,
        created_by=access.person.user_id,
        created_at=now,
        updated_at=now,
    )
    access.db.add(deployment)
    access.db.flush()
    sizes = phase_sizes(len(kiosks))
    for position, kiosk in enumerate(kiosks):
        phase = next(i for i, size in enumerate(sizes) if position < size)
        already = kiosk.software_version == release
        access.db.add(
            DeploymentKiosk(
                deployment_id=deployment.id,
                kiosk_id=kiosk.id,
                phase=phase,
                state=RolloutState.COMMITTED if already else RolloutState.PENDING,
                detail="already running this release" if already else None,
                released_at=now if phase == 0 else None,
                updated_at=now,
            )
        )
    access.db.flush()
    evaluate(access.db, deployment)
    return deployment


def visible(access: Access, deployment_id: str) -> Deployment:
    """The deployment if the caller may see it; 404 otherwise, as if it did not exist
    (one spanning several organisations is for national admins only)."""
    deployment = access.db.get(Deployment, deployment_id)
    reachable = deployment is not None and (
        access.may_touch_org(deployment.org_id) if deployment.org_id else access.is_national
    )
    if not reachable:
        raise not_found("deployment")
    return deployment  # type: ignore[return-value]


def published(repository: str | None) -> set[str] | None:
    """Bundles central's own release repository lists; None when it serves none (the
    releases are on a static host, which central does not check)."""
    if not repository:
        return None
    path = Path(repository) / "metadata" / "targets.json"
    try:
        # Read here, not by `from_file`: a missing file is securesystemslib's StorageError
        # there, no OSError (a repository folder without targets.json answered 500).
        return set(Metadata[Targets].from_bytes(path.read_bytes()).signed.targets)
    except (OSError, ValueError, RepositoryError) as exc:
        raise ApiError(
            503,
            "repository_unreadable",
            f"The release list ({path.name}) cannot be read: {exc}. Make the repository "
            "with 'central release init' and add a bundle with 'central release add'.",
        ) from exc


def published_releases(repository: str | None) -> list[str] | None:
    """The versions a deployment can name (full bundles, not deltas), newest first;
    None when central serves no repository of its own."""
    names = published(repository)
    if names is None:
        return None
    found = [
        n.removeprefix("palvelupiste-").removesuffix(".tar")
        for n in names
        if n.startswith("palvelupiste-") and n.endswith(".tar") and "-from-" not in n
    ]
    return sorted(found, key=_version_key, reverse=True)


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """0.10.0 after 0.9.1: numbers compared as numbers, anything else as text."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.+-]", version))


def history_of(db: Session, kiosk_id: str, limit: int = 20) -> list[tuple[Deployment, Any]]:
    """A kiosk's updates, newest first: each deployment it was in, and how it went."""
    return [
        (deployment, row)
        for deployment, row in db.execute(
            select(Deployment, DeploymentKiosk)
            .join(DeploymentKiosk, DeploymentKiosk.deployment_id == Deployment.id)
            .where(DeploymentKiosk.kiosk_id == kiosk_id)
            .order_by(Deployment.created_at.desc())
            .limit(limit)
        ).all()
    ]


def rows_of(db: Session, deployment: Deployment) -> list[DeploymentKiosk]:
    return list(
        db.scalars(
            select(DeploymentKiosk)
            .where(DeploymentKiosk.deployment_id == deployment.id)
            .order_by(DeploymentKiosk.phase, DeploymentKiosk.kiosk_id)
        )
    )


def evaluate(db: Session, deployment: Deployment, now: datetime | None = None) -> None:
    """Pause on failures, open the next phase when this one is healthy, or complete."""
    if deployment.status != RUNNING:
        return
    now = now or utcnow()
    rows = rows_of(db, deployment)
    released = [r for r in rows if r.released_at is not None]
    failed = [r for r in released if r.state in FAILED_ROLLOUT]
    new_failures = len(failed) > deployment.failures_acknowledged
    if new_failures and any(r.phase == 0 for r in failed) and deployment.phase == 0:
        canary = next(r for r in failed if r.phase == 0)
        _pause(deployment, f"canary kiosk {canary.kiosk_id} failed: {canary.detail or ''}", now)
        return
    if new_failures and len(failed) > deployment.error_threshold * len(released):
        _pause(
            deployment,
            f"{len(failed)} of {len(released)} kiosks failed, more than "
            f"{deployment.error_threshold:.0%}",
            now,
        )
        return
    committed = sum(1 for r in released if r.state == RolloutState.COMMITTED)
    # Failures a person acknowledged by resuming no longer hold the next phase back.
    counted = len(released) - min(deployment.failures_acknowledged, len(failed))
    if committed < math.ceil(deployment.success_threshold * counted):
        return
    if deployment.phase >= len(PHASES) - 1:
        if all(r.state in FINAL_ROLLOUT for r in rows):
            deployment.status = COMPLETED
            deployment.updated_at = now
        return
    deployment.phase += 1
    deployment.updated_at = now
    for row in rows:
        if row.phase <= deployment.phase and row.released_at is None:
            row.released_at = now
    db.flush()
    evaluate(db, deployment, now)  # an empty or already-committed phase opens the next


def _pause(deployment: Deployment, reason: str, now: datetime) -> None:
    deployment.status = PAUSED
    deployment.paused_reason = reason[:500]
    deployment.updated_at = now


def pause(db: Session, deployment: Deployment, reason: str = "paused by a person") -> None:
    if deployment.status not in (RUNNING, PAUSED):
        raise ApiError(409, "deployment_finished", f"This deployment is {deployment.status}.")
    _pause(deployment, reason, utcnow())


def resume(db: Session, deployment: Deployment) -> None:
    if deployment.status not in (RUNNING, PAUSED):
        raise ApiError(409, "deployment_finished", f"This deployment is {deployment.status}.")
    rows = rows_of(db, deployment)
    deployment.failures_acknowledged = sum(
        1 for r in rows if r.released_at is not None and r.state in FAILED_ROLLOUT
    )
    deployment.status = RUNNING
    deployment.paused_reason = None
    deployment.updated_at = utcnow()
    evaluate(db, deployment)


def cancel(db: Session, deployment: Deployment) -> None:
    """No kiosk is asked for the release any more; those that have it keep it."""
    if deployment.status in (CANCELLED, COMPLETED):
        raise ApiError(409, "deployment_finished", f"This deployment is {deployment.status}.")
    deployment.status = CANCELLED
    deployment.updated_at = utcnow()


def as_json(db: Session, deployment: Deployment) -> dict[str, Any]:
    """The deployment with each kiosk's phase, state and reason."""
    rows = db.execute(
        select(DeploymentKiosk, Kiosk.name)
        .join(Kiosk, Kiosk.id == DeploymentKiosk.kiosk_id)
        .where(DeploymentKiosk.deployment_id == deployment.id)
        .order_by(DeploymentKiosk.phase, DeploymentKiosk.kiosk_id)
    ).all()
    out = _summary(deployment, dict(Counter(row.state for row, _name in rows)))
    out["kiosks"] = [
        {
            "kiosk_id": r.kiosk_id,
            "name": name,
            "phase": PHASES[r.phase],
            "state": r.state,
            "detail": r.detail,
            "released_at": r.released_at.isoformat() if r.released_at else None,
            "updated_at": r.updated_at.isoformat(),
        }
        for r, name in rows
    ]
    return out


def recent(access: Access, limit: int) -> list[dict[str, Any]]:
    """The newest deployments the caller may see, with their kiosks counted per state
    in one query (not their kiosks: a fleet's deployment lists thousands)."""
    listed = list(
        access.db.scalars(
            select(Deployment)
            .where(access.org_filter(Deployment.org_id))
            .order_by(Deployment.created_at.desc())
            .limit(limit)
        )
    )
    counts: dict[str, dict[str, int]] = {d.id: {} for d in listed}
    for deployment_id, state, count in access.db.execute(
        select(DeploymentKiosk.deployment_id, DeploymentKiosk.state, func.count())
        .where(DeploymentKiosk.deployment_id.in_(list(counts)))
        .group_by(DeploymentKiosk.deployment_id, DeploymentKiosk.state)
    ):
        counts[deployment_id][state] = count
    return [_summary(d, counts[d.id]) for d in listed]


def _summary(deployment: Deployment, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "org_id": deployment.org_id,
        "release": deployment.release,
        "target": deployment.target,
        "selector": deployment.selector,
        "status": deployment.status,
        "phase": PHASES[deployment.phase],
        "phase_sizes": phase_sizes(sum(counts.values())),
        "error_threshold": deployment.error_threshold,
        "success_threshold": deployment.success_threshold,
        "paused_reason": deployment.paused_reason,
        "counts": counts,
        "created_at": deployment.created_at.isoformat(),
        "updated_at": deployment.updated_at.isoformat(),
    }


# --- the heartbeat's part (Core, on the heartbeat's connection) ---------------------------

WANTED = (
    select(
        DeploymentKiosk.deployment_id,
        DeploymentKiosk.state,
        DeploymentKiosk.detail,
        Deployment.release,
        Deployment.target,
    )
    .join(Deployment, Deployment.id == DeploymentKiosk.deployment_id)
    .where(
        DeploymentKiosk.kiosk_id == bindparam("for_kiosk"),
        DeploymentKiosk.released_at.is_not(None),
        Deployment.status != CANCELLED,
    )
    .order_by(Deployment.created_at.desc())
    .limit(1)
)
_SET_STATE = (
    update(DeploymentKiosk)
    .where(
        DeploymentKiosk.deployment_id == bindparam("d_id"),
        DeploymentKiosk.kiosk_id == bindparam("k_id"),
    )
    .values(
        state=bindparam("v_state"),
        detail=bindparam("v_detail"),
        updated_at=bindparam("v_now", type_=UTCDateTime()),
    )
)


def heartbeat(
    conn: Connection, kiosk_id: str, health: dict[str, Any], now: datetime, base_url: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The release wanted on this kiosk (for its answer), and the id of a deployment whose
    state this heartbeat changed (to evaluate after the commit), if any."""
    return follow_report(
        conn, kiosk_id, conn.execute(WANTED, {"for_kiosk": kiosk_id}).first(), health, now, base_url
    )


def follow_report(
    conn: Connection,
    kiosk_id: str,
    row: Sequence[Any] | None,
    health: dict[str, Any],
    now: datetime,
    base_url: str,
) -> tuple[dict[str, Any] | None, str | None]:
    """`heartbeat` given the WANTED row, read by the caller (with its other reads)."""
    if row is None:
        return None, None
    deployment_id, state, detail, release, target = row
    new_state, new_detail = state, detail
    report = health.get("update") if isinstance(health.get("update"), dict) else None
    if (
        report
        and report.get("version") == release
        and report.get("state") in KIOSK_STATES
        and report.get("deployment") in (deployment_id, None)
    ):
        new_state, new_detail = report["state"], str(report.get("detail") or "")[:500]
    elif health.get("software_version") == release:
        new_state, new_detail = RolloutState.COMMITTED, "running this release"
    changed = (new_state, new_detail) != (state, detail)
    if changed:
        conn.execute(
            _SET_STATE,
            {
                "d_id": deployment_id,
                "k_id": kiosk_id,
                "v_state": new_state,
                "v_detail": new_detail,
                "v_now": now,
            },
        )
    wanted = {
        "version": release,
        "target": target,
        "deployment": deployment_id,
        "url": base_url or None,
    }
    return wanted, deployment_id if changed and new_state != state else None


def evaluate_by_id(db: Session, deployment_id: str) -> None:
    """After a kiosk's state changed; the row lock keeps two heartbeats from opening the
    same phase twice (PostgreSQL; SQLite writes one at a time anyway)."""
    deployment = db.get(Deployment, deployment_id, with_for_update=True)
    if deployment is not None:
        evaluate(db, deployment)
        db.commit()
