"""Alerts on a real central with a real SMTP server (aiosmtpd) and a webhook on loopback:
raised once, mailed, shown in the console, resolved with a notice when the condition
clears; a kiosk never seen raises nothing; a mail server that is down is retried."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from central.db.engine import session_scope
from central.db.models import Alert, AlertNotice
from devtools.central_server import start_central
from devtools.central_world import add_user, enrol, make_org, ok
from devtools.waiting import wait_for
from tests.console.conftest import ConsoleWorld, add_person, log_in, look, signed_in_as

pytestmark = pytest.mark.slow

FAULTY = {
    "outbox_depth": 0,
    "devices": [
        {
            "kind": "printer",
            "name": "receipt",
            "state": "needs_attention",
            "detail": {"last_error": "paper out"},
        }
    ],
    "ui": {"state": "attract"},
    "disk_free_mb": 4000,
}
HEALTHY = {**FAULTY, "devices": [{"kind": "printer", "name": "receipt", "state": "online"}]}


class Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


@pytest.fixture(scope="module")
def alert_world(database_url, mail, webhook) -> Iterator[ConsoleWorld]:
    _inbox, port = mail
    central = start_central(
        database_url,
        offline_after_s=2,
        alerts_every_s=0.3,
        mail_host="127.0.0.1",
        mail_port=port,
        mail_starttls=False,
        outbound_allowed_hosts="127.0.0.1",  # the test's webhook receiver
    )
    national = add_user(central, "national_admin", None)
    a = make_org(central, national, name="Kerava")
    b = make_org(central, national, name="Sipoo", with_kiosk=False)
    ok(
        central.request(
            "PATCH",
            f"/sites/{a.site_id}/config",
            a.tokens["org_admin"],
            json={"heartbeat_interval_s": 1},
        )
    )
    tag = database_url.rsplit("/", 1)[-1][-6:].replace(".", "")
    emails = {"admin_a": add_person(central, f"alerts-a-{tag}@example.fi", "org_admin", a.id)}
    yield ConsoleWorld(central, national, a, b, emails)
    central.stop()


def beat(world: ConsoleWorld, health: dict[str, Any]) -> None:
    ok(world.central.request("POST", "/kiosk/heartbeat", world.a.device_token, json=health))


class Beating:
    """The kiosk beating every 0.5 s with the health it is given, as its agent would: a
    loaded test machine must not let it fall silent (offline after 3 s here) by accident."""

    def __init__(self, world: ConsoleWorld, health: dict[str, Any]) -> None:
        self.world, self.health = world, health
        self.stopped = threading.Event()
        beat(world, health)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(0.5):
            beat(self.world, self.health)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)


def test_an_alert_is_raised_once_mailed_shown_and_resolved(console, alert_world, mail, webhook):
    inbox, _port = mail
    world = alert_world
    # The mail server and the webhook serve both databases' runs: start empty.
    inbox.messages.clear()
    Webhook.received.clear()
    # A kiosk enrolled but never seen raises nothing, however long it stays silent.
    silent_id, _token = enrol(world.central, world.a.tokens["technician"], world.a.site_id)
    log_in(console, world, "admin_a", "/console/alerts")
    console.fill("input[name=emails]", "paivystys@kerava.example.fi, it@kerava.example.fi")
    console.fill("input[name=webhook]", webhook)
    console.click("form.bulk button[type=submit]")
    assert "Saved." in console.inner_text("main")

    kiosk = Beating(world, FAULTY)
    assert wait_for(lambda: len(inbox.messages) >= 2, 15), inbox.subjects()
    subject = inbox.subjects()[0]
    assert "Alert" in subject and "printer 'receipt'" in subject and "paper out" in subject
    assert {m["To"] for m in inbox.messages} == {
        "paivystys@kerava.example.fi",
        "it@kerava.example.fi",
    }
    assert wait_for(lambda: any(w["event"] == "raised" for w in Webhook.received), 10)
    # Still faulty at the next passes: raised once, not again.
    assert not wait_for(lambda: len(inbox.messages) > 2, 2)
    console.goto(f"{world.central.base}/console/alerts")
    assert "paper out" in console.inner_text("table.alerts >> nth=0")
    look(console, "alerts")

    kiosk.health = HEALTHY
    assert wait_for(lambda: len(inbox.messages) >= 4, 15), inbox.subjects()
    assert all("Resolved" in s for s in inbox.subjects()[2:4])
    assert wait_for(lambda: any(w["event"] == "resolved" for w in Webhook.received), 10)
    console.goto(f"{world.central.base}/console/kiosks/{world.a.kiosk_id}")
    history = console.inner_text("main")
    assert "paper out" in history
    look(console, "kiosk-history")

    # Heartbeats stop: offline is raised; they come back: resolved.
    kiosk.stop()
    assert wait_for(lambda: any("is offline" in s for s in inbox.subjects()), 20)
    kiosk = Beating(world, HEALTHY)
    assert wait_for(
        lambda: any("Resolved" in s and "is offline" in s for s in inbox.subjects()), 15
    )
    with session_scope(world.central.app.state.sessions) as db:
        conditions = [a.condition for a in db.query(Alert).filter(Alert.kiosk_id == silent_id)]
        assert conditions == []
        per_condition = [
            a.condition for a in db.query(Alert).filter(Alert.kiosk_id == world.a.kiosk_id)
        ]
        assert sorted(per_condition) == ["device:printer:receipt", "offline"]
    kiosk.stop()


def test_another_municipality_sees_no_alert_of_ours(console, alert_world):
    world = alert_world
    email = add_person(world.central, f"b-{world.b.id[:8]}@example.fi", "org_admin", world.b.id)
    world.emails["admin_b"] = email
    log_in(console, world, "admin_b", "/console/alerts")
    text = console.inner_text("main")
    assert "No open alerts." in text and "Nothing resolved lately." in text
    assert "Kerava" not in text


def test_a_mail_server_that_is_down_is_tried_again_later(alert_world):
    from central.fleet import alerts

    world = alert_world
    settings = world.central.app.state.settings.model_copy(update={"mail_port": 1})
    with session_scope(world.central.app.state.sessions) as db:
        alert = Alert(
            kiosk_id=world.a.kiosk_id,
            org_id=world.a.id,
            condition="disk_low",
            detail="90 MB free",
            open_key=None,
        )
        db.add(alert)
        db.flush()
        # Due only in a year: central's own alert pass (which has a working server) skips it.
        due = alerts.utcnow() + alerts.timedelta(days=365)
        notice = AlertNotice(
            alert_id=alert.id,
            event="raised",
            channel="email",
            target="x@example.fi",
            next_try_at=due,
        )
        db.add(notice)
        db.flush()
        notice_id = notice.id
    with world.central.app.state.sessions() as db:
        then = due + alerts.timedelta(seconds=1)
        alerts.send_due(db, settings, now=then)
        row = db.get(AlertNotice, notice_id)
        assert row.sent_at is None and row.attempts == 1 and row.last_error
        assert row.next_try_at == then + alerts.timedelta(seconds=60)


def test_a_failed_update_raises_an_alert_until_a_later_one_succeeds(alert_world):
    from central.db.models import Command
    from central.db.types import utcnow

    world = alert_world
    kiosk = Beating(world, HEALTHY)

    def update(status: str) -> None:
        with session_scope(world.central.app.state.sessions) as db:
            db.add(
                Command(
                    kiosk_id=world.a.kiosk_id,
                    type="update",
                    args={},
                    status=status,
                    expires_at=utcnow() + timedelta(days=1),
                )
            )

    def open_conditions() -> set[str]:
        with session_scope(world.central.app.state.sessions) as db:
            rows = db.query(Alert).filter(
                Alert.kiosk_id == world.a.kiosk_id, Alert.resolved_at.is_(None)
            )
            return {a.condition for a in rows}

    try:
        update("failed")
        assert wait_for(lambda: "update_failed" in open_conditions(), 10)
        update("succeeded")
        assert wait_for(lambda: "update_failed" not in open_conditions(), 10)
    finally:
        kiosk.stop()


def test_a_rolled_back_release_raises_an_alert_with_the_kiosks_reason(alert_world):
    world = alert_world
    why = "health check failed: the UI of 9.1.0 has not drawn its first frame"
    report = {"version": "9.1.0", "state": "rolled_back", "detail": why, "deployment": None}
    kiosk = Beating(world, {**HEALTHY, "update": report})

    def open_update_alert() -> Alert | None:
        with session_scope(world.central.app.state.sessions) as db:
            row = (
                db.query(Alert)
                .filter(Alert.kiosk_id == world.a.kiosk_id, Alert.resolved_at.is_(None))
                .filter(Alert.condition == "update_failed")
                .first()
            )
            return row.detail if row else None

    try:
        assert wait_for(lambda: open_update_alert(), 10)
        assert open_update_alert() == f"release 9.1.0 rolled back: {why}"
        # A later release committed: the updater's report says so, the alert resolves.
        kiosk.health = {**HEALTHY, "software_version": "9.2.0",
                        "update": {**report, "version": "9.2.0", "state": "committed"}}  # fmt: skip
        assert wait_for(lambda: open_update_alert() is None, 10)
    finally:
        kiosk.stop()


def test_an_alert_is_acknowledged_silenced_and_held_through_maintenance(console, alert_world, mail):
    """Issue 33: acknowledged alerts say who took them; a silence keeps notices away
    (also when the same fault comes back); maintenance holds device alerts rather than
    resolving them and raising them again."""
    inbox, _port = mail
    world = alert_world
    inbox.messages.clear()
    log_in(console, world, "admin_a", "/console/alerts")
    console.fill("input[name=emails]", "paivystys@kerava.example.fi, it@kerava.example.fi")
    console.click("form.bulk button[type=submit]")
    kiosk = Beating(world, FAULTY)
    try:
        assert wait_for(lambda: len(inbox.messages) >= 2, 15), inbox.subjects()
        console.goto(f"{world.central.base}/console/alerts")
        console.click("table.alerts >> nth=0 >> button:has-text('Acknowledge')")
        row = console.locator("table.alerts >> nth=0").locator("tbody tr").first
        assert f"Acknowledged by {world.emails['admin_a']}" in row.inner_text()
        console.select_option("table.alerts >> nth=0 >> select[name=hours]", "1")
        console.click("table.alerts >> nth=0 >> button:has-text('Silence')")
        assert "Silenced until" in console.inner_text("table.alerts >> nth=0")
        look(console, "alerts-handled")

        # Another municipality's admin, signed in, cannot acknowledge it.
        with session_scope(world.central.app.state.sessions) as db:
            alert = (
                db.query(Alert)
                .filter(
                    Alert.kiosk_id == world.a.kiosk_id,
                    Alert.condition == "device:printer:receipt",
                    Alert.resolved_at.is_(None),
                )
                .one()
            )
            alert_id, acknowledged_by = alert.id, alert.acknowledged_by
        other_email = add_person(
            world.central, f"b2-{world.b.id[:8]}@example.fi", "org_admin", world.b.id
        )
        world.emails["admin_b2"] = other_email
        with signed_in_as(console, world, "admin_b2", "/console/alerts") as other:
            tried = other.post(f"/console/alerts/{alert_id}/silence", hours="168")
            assert tried.status == 404 and "paper out" not in tried.text()

        # Silenced: resolved and raised again without a notice.
        kiosk.health = HEALTHY
        assert wait_for(lambda: _open(world, "device:printer:receipt") == 0, 15)
        kiosk.health = FAULTY
        assert wait_for(lambda: _open(world, "device:printer:receipt") == 1, 15)
        assert not wait_for(lambda: len(inbox.messages) > 2, 2), inbox.subjects()

        # Maintenance with the fault still there: held, not resolved; afterwards the
        # same alert, not a new one.
        scanner = {"kind": "scanner", "name": "flatbed", "state": "needs_attention"}
        kiosk.health = {**FAULTY, "devices": [*FAULTY["devices"], scanner]}
        assert wait_for(lambda: _open(world, "device:scanner:flatbed") == 1, 15)

        def about_scanner() -> list[str]:
            return [s for s in inbox.subjects() if "scanner" in s]

        assert wait_for(lambda: len(about_scanner()) == 2, 15)  # one to each recipient
        kiosk.health = {**kiosk.health, "ui": {"state": "maintenance"}}
        assert not wait_for(lambda: _open(world, "device:scanner:flatbed") == 0, 3)
        kiosk.health = {**kiosk.health, "ui": {"state": "attract"}}
        assert not wait_for(lambda: len(about_scanner()) > 2, 2), about_scanner()
        with session_scope(world.central.app.state.sessions) as db:
            raised = db.query(Alert).filter(Alert.condition == "device:scanner:flatbed").count()
        assert raised == 1
    finally:
        kiosk.stop()
    with session_scope(world.central.app.state.sessions) as db:
        assert db.get(Alert, alert_id).silenced_until is not None
    assert acknowledged_by is not None


def _open(world: ConsoleWorld, condition: str) -> int:
    with session_scope(world.central.app.state.sessions) as db:
        return (
            db.query(Alert)
            .filter(
                Alert.kiosk_id == world.a.kiosk_id,
                Alert.condition == condition,
                Alert.resolved_at.is_(None),
            )
            .count()
        )
