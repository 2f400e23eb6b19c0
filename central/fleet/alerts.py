"""Alerts: conditions of kiosks that need a person, raised once and resolved by themselves.

Every `alerts_every_s` (≤ 60 s) each worker evaluates every enrolled kiosk:
- `offline`: no heartbeat for max(3 beats, `offline_after_s`) (central/fleet/fleet_status.py);
- `device:<kind>:<name>`: a device in a fault state (paper out, jam, camera gone);
- `disk_low`, `outbox_backlog`: as fleet_status defines them;
- `update_failed`: the kiosk's updater reports its last release rolled back or refused
  (until a later one is committed), or its latest update command failed.
A kiosk never seen raises nothing (it may simply not be installed yet); a kiosk in
maintenance raises no device alerts and its open ones are held, not resolved (someone
is working on it: a fault still there afterwards is the same alert, not a resolve and a
new raise). An alert whose condition has cleared is resolved. A person may
acknowledge an alert (it stays open, marked as taken) or silence it for a while: no
notices about that kiosk's condition until then, also if it is raised again. Raising
and resolving each queue one notice per recipient of the organisation (e-mail,
webhook), sent with retries and backoff;
two workers cannot raise the same alert twice (`Alert.open_key` is unique).
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from central import mail, outbound
from central.background import Every
from central.db.engine import changed
from central.db.models import Alert, AlertNotice, Command, Kiosk, Organisation, Site
from central.db.types import utcnow
from central.fleet import fleet_status
from central.fleet.fleet_status import KioskStatus
from central.settings import Settings
from contract.device_states import FAULTS

log = logging.getLogger("central")

# Retries of one notice: 1 min, 2, 4, … up to 1 h apart; given up after this many tries.
MAX_ATTEMPTS = 12
# A webhook's whole exchange, connect to last byte.
WEBHOOK_DEADLINE_S = 10.0
# A failed update older than this, with none since, no longer raises an alert.
UPDATE_WINDOW = timedelta(days=14)
CONDITION_NAMES = {
    "offline": "is offline",
    "disk_low": "is low on disk",
    "outbox_backlog": "has a large backlog of usage data",
    "update_failed": "failed to update",
}


@dataclass(frozen=True)
class Finding:
    condition: str
    detail: str


def findings_for(
    kiosk: Kiosk,
    site_config: dict[str, Any] | None,
    latest_update: str | None,
    now: datetime,
    floor_s: float,
) -> list[Finding]:
    """What is wrong with one kiosk now (nothing for one never seen)."""
    status = fleet_status.status_of(
        kiosk.last_seen,
        kiosk.condition,
        now,
        fleet_status.offline_after(site_config, floor_s),
    )
    if status == KioskStatus.NEVER_SEEN:
        return []
    if status == KioskStatus.OFFLINE:
        return [Finding("offline", "no heartbeat since the time shown")]
    found: list[Finding] = []
    health = kiosk.health or {}
    if status != KioskStatus.MAINTENANCE:
        for device in health.get("devices", []):
            if isinstance(device, dict) and device.get("state") in FAULTS:
                condition = f"device:{device.get('kind')}:{device.get('name')}"
                said = device.get("detail")
                error = said.get("last_error") if isinstance(said, dict) else None
                detail = str(error or device.get("state"))
                found.append(Finding(condition[:120], detail[:300]))
    problems = fleet_status.problems_of(health, kiosk.outbox_depth)
    if "disk_low" in problems:
        found.append(Finding("disk_low", f"{health.get('disk_free_mb')} MB free"))
    if "outbox_backlog" in problems:
        found.append(Finding("outbox_backlog", f"{kiosk.outbox_depth} events waiting"))
    report = health.get("update")
    if isinstance(report, dict) and report.get("state") in ("rolled_back", "failed"):
        what = "rolled back" if report["state"] == "rolled_back" else "refused"
        detail = f"release {report.get('version')} {what}: {report.get('detail') or ''}"
        found.append(Finding("update_failed", detail[:300]))
    elif latest_update == "failed":
        found.append(Finding("update_failed", "the latest update command failed"))
    return found


def evaluate(db: Session, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """One pass over the fleet: raise what is new, resolve what has cleared."""
    now = now or utcnow()
    latest_updates = _latest_update_statuses(db, now)
    kiosks = db.execute(
        select(Kiosk, Site.config)
        .join(Site, Site.id == Kiosk.site_id)
        .where(Kiosk.retired_at.is_(None))
    ).all()
    open_alerts = {
        a.open_key: a for a in db.scalars(select(Alert).where(Alert.open_key.is_not(None)))
    }
    db.commit()
    raised = resolved = 0
    still_true: set[str] = set()
    for kiosk, config in kiosks:
        if _in_maintenance(kiosk, config, now, settings.offline_after_s):
            held = f"{kiosk.id}:device:"
            still_true |= {k for k in open_alerts if k and k.startswith(held)}
        for finding in findings_for(
            kiosk, config, latest_updates.get(kiosk.id), now, settings.offline_after_s
        ):
            key = f"{kiosk.id}:{finding.condition}"
            still_true.add(key)
            if key not in open_alerts and _raise(db, kiosk, finding, key, now):
                raised += 1
    for open_key, alert in open_alerts.items():
        if open_key not in still_true and _resolve(db, alert, now):
            resolved += 1
    return {"raised": raised, "resolved": resolved}


def _in_maintenance(
    kiosk: Kiosk, site_config: dict[str, Any] | None, now: datetime, floor_s: float
) -> bool:
    status = fleet_status.status_of(
        kiosk.last_seen, kiosk.condition, now, fleet_status.offline_after(site_config, floor_s)
    )
    return status == KioskStatus.MAINTENANCE


def _latest_update_statuses(db: Session, now: datetime) -> dict[str, str]:
    """Each kiosk's latest update command of the last UPDATE_WINDOW (a bounded read)."""
    rows = db.execute(
        select(Command.kiosk_id, Command.status, Command.created_at).where(
            Command.type == "update", Command.created_at >= now - UPDATE_WINDOW
        )
    ).all()
    latest: dict[str, tuple[datetime, str]] = {}
    for kiosk_id, status, created in rows:
        if kiosk_id not in latest or created > latest[kiosk_id][0]:
            latest[kiosk_id] = (created, status)
    return {k: v[1] for k, v in latest.items()}


def _raise(db: Session, kiosk: Kiosk, finding: Finding, key: str, now: datetime) -> bool:
    alert = Alert(
        kiosk_id=kiosk.id,
        org_id=kiosk.org_id,
        condition=finding.condition,
        detail=finding.detail,
        raised_at=now,
        open_key=key,
        silenced_until=_silence_of(db, kiosk.id, finding.condition, now),
    )
    db.add(alert)
    try:
        db.flush()
    except IntegrityError:  # another worker raised it first
        db.rollback()
        return False
    _queue_notices(db, alert, "raised", now)
    db.commit()
    return True


def _resolve(db: Session, alert: Alert, now: datetime) -> bool:
    done = changed(
        db,
        update(Alert)
        .where(Alert.id == alert.id, Alert.resolved_at.is_(None))
        .values(resolved_at=now, open_key=None),
    )
    if done:
        _queue_notices(db, alert, "resolved", now)
    db.commit()
    return bool(done)


def _silence_of(db: Session, kiosk_id: str, condition: str, now: datetime) -> datetime | None:
    """A silence set on this kiosk's condition that still runs carries to a new alert."""
    until = db.scalar(
        select(Alert.silenced_until)
        .where(
            Alert.kiosk_id == kiosk_id,
            Alert.condition == condition,
            Alert.silenced_until > now,
        )
        .order_by(Alert.silenced_until.desc())
        .limit(1)
    )
    return until


def acknowledge(alert: Alert, user_id: str, now: datetime) -> None:
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, user_id


def silence(alert: Alert, hours: int, now: datetime) -> None:
    alert.silenced_until = now + timedelta(hours=hours)


def recipients(org: Organisation | None) -> list[tuple[str, str]]:
    settings = (org.alerting if org else None) or {}
    out = [("email", e) for e in settings.get("emails", []) if isinstance(e, str) and e]
    if isinstance(settings.get("webhook"), str) and settings["webhook"]:
        out.append(("webhook", settings["webhook"]))
    return out


def _queue_notices(db: Session, alert: Alert, event: str, now: datetime) -> None:
    if alert.silenced_until is not None and alert.silenced_until > now:
        return
    for channel, target in recipients(db.get(Organisation, alert.org_id)):
        db.add(
            AlertNotice(
                alert_id=alert.id, event=event, channel=channel, target=target, next_try_at=now
            )
        )


# --- sending ----------------------------------------------------------------------------


def describe(db: Session, alert: Alert, event: str) -> dict[str, Any]:
    kiosk = db.get(Kiosk, alert.kiosk_id)
    site = db.get(Site, kiosk.site_id) if kiosk else None
    name = kiosk.name if kiosk else alert.kiosk_id
    condition = alert.condition
    if condition.startswith("device:"):
        _, kind, device = (condition.split(":") + ["", ""])[:3]
        what = f"{kind} '{device}' needs attention ({alert.detail})"
    else:
        what = CONDITION_NAMES.get(condition, condition)
    verb = "Resolved" if event == "resolved" else "Alert"
    return {
        "event": event,
        "alert_id": alert.id,
        "kiosk_id": alert.kiosk_id,
        "kiosk": name,
        "site": site.name if site else None,
        "condition": condition,
        "detail": alert.detail,
        "raised_at": alert.raised_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "subject": f"[Palvelupiste] {verb}: {name} {what}",
    }


def send_email(settings: Settings, to: str, about: dict[str, Any]) -> None:
    lines = [about["subject"].removeprefix("[Palvelupiste] "), ""]
    lines += [f"Kiosk: {about['kiosk']}", f"Site: {about['site'] or '-'}"]
    lines += [f"Raised: {about['raised_at']}"]
    if about["resolved_at"]:
        lines.append(f"Resolved: {about['resolved_at']}")
    lines.append(f"Console: /console/kiosks/{about['kiosk_id']}")
    mail.send(settings, to, about["subject"], "\n".join(lines) + "\n")


def send_webhook(url: str, about: dict[str, Any], settings: Settings) -> None:
    """POST the notice, to a public address only, done or given up within
    WEBHOOK_DEADLINE_S (a receiver that answers a byte every 2 s is cut off)."""
    answer = outbound.request(
        "POST",
        url,
        body=json.dumps(about).encode(),
        headers={"content-type": "application/json", "user-agent": "palvelupiste-central"},
        allowed_hosts=settings.outbound_hosts,
        deadline_s=WEBHOOK_DEADLINE_S,
        max_bytes=64 * 1024,
    )
    if answer.status >= 300:  # a redirect is not followed: it is an answer like any other
        raise OSError(f"the webhook answered {answer.status}")


@dataclass(frozen=True)
class Claimed:
    """A notice this worker took to send now (no one else sends it meanwhile)."""

    id: int
    org_id: str
    channel: str
    target: str
    about: dict[str, Any]


def claim_due(
    db: Session, now: datetime | None = None, skip_orgs: frozenset[str] = frozenset()
) -> list[Claimed]:
    """Notices whose time has come, claimed (their next try moved on by the backoff), so
    another worker or pass skips them; those of `skip_orgs` are left for later."""
    now = now or utcnow()
    due = db.execute(
        select(AlertNotice, Alert)
        .join(Alert, Alert.id == AlertNotice.alert_id)
        .where(
            AlertNotice.sent_at.is_(None),
            AlertNotice.attempts < MAX_ATTEMPTS,
            AlertNotice.next_try_at <= now,
        )
        .order_by(AlertNotice.id)
        .limit(200)
    ).all()
    claimed = []
    for notice, alert in due:
        if alert.org_id in skip_orgs:
            continue
        about = describe(db, alert, notice.event)
        taken = changed(
            db,
            update(AlertNotice)
            .where(AlertNotice.id == notice.id, AlertNotice.attempts == notice.attempts)
            .values(attempts=notice.attempts + 1, next_try_at=now + _backoff(notice.attempts + 1)),
        )
        db.commit()
        if taken:
            claimed.append(Claimed(notice.id, alert.org_id, notice.channel, notice.target, about))
    return claimed


def deliver(db: Session, settings: Settings, notice: Claimed) -> bool:
    """Sends one claimed notice and records how it went."""
    try:
        if notice.channel == "email":
            send_email(settings, notice.target, notice.about)
        else:
            send_webhook(notice.target, notice.about, settings)
    except (OSError, ValueError) as exc:
        db.execute(
            update(AlertNotice).where(AlertNotice.id == notice.id).values(last_error=str(exc)[:300])
        )
        db.commit()
        log.warning("alert notice %s (%s) failed: %s", notice.id, notice.channel, exc)
        return False
    db.execute(
        update(AlertNotice)
        .where(AlertNotice.id == notice.id)
        .values(sent_at=utcnow(), last_error=None)
    )
    db.commit()
    return True


def send_due(db: Session, settings: Settings, now: datetime | None = None) -> int:
    """Send notices whose time has come, here and now; a failure is tried again later,
    up to MAX_ATTEMPTS. (Central itself sends through `Notifier`.)"""
    return sum(deliver(db, settings, notice) for notice in claim_due(db, now))


class Notifier:
    """Sends notices off the alert evaluation, on a few threads, one organisation per
    thread at a time: one organisation's slow or failing receiver holds at most one
    thread for at most WEBHOOK_DEADLINE_S per notice, and never another organisation's
    notices (its own wait for their backoff)."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, threads: int = 4):
        self.sessions = sessions
        self.settings = settings
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="alert-notices")
        self.busy: set[str] = set()
        self.lock = threading.Lock()

    def dispatch(self, now: datetime | None = None) -> int:
        """Claims what is due and hands it to the threads; returns how many it handed."""
        with self.lock:
            busy = frozenset(self.busy)
        with self.sessions() as db:
            claimed = claim_due(db, now, busy)
        by_org: dict[str, list[Claimed]] = {}
        for notice in claimed:
            by_org.setdefault(notice.org_id, []).append(notice)
        for org_id, notices in by_org.items():
            with self.lock:
                self.busy.add(org_id)
            self.pool.submit(self._send, org_id, notices)
        return len(claimed)

    def _send(self, org_id: str, notices: list[Claimed]) -> None:
        try:
            with self.sessions() as db:
                for notice in notices:
                    deliver(db, self.settings, notice)
        except Exception:  # noqa: BLE001 - a thread must go on to the next organisation
            log.exception("alert notices of %s failed", org_id)
        finally:
            with self.lock:
                self.busy.discard(org_id)

    def idle(self) -> bool:
        with self.lock:
            return not self.busy


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 60 * 2 ** (attempts - 1)))


def runner(sessions: sessionmaker[Session], settings: Settings) -> Every:
    """Evaluation and sending on their own schedules: a slow receiver never holds up the
    next evaluation, nor the notices of other organisations."""
    notifier = Notifier(sessions, settings)

    def pass_once() -> None:
        with sessions() as db:
            changed = evaluate(db, settings)
            if any(changed.values()):
                log.info("alerts: %s", changed)
        notifier.dispatch()

    return Every(
        "alerts",
        settings.alerts_every_s,
        pass_once,
        sessions=sessions,
        instance=settings.instance_name,
    )
