"""The daily usage counts reports read: kept exactly as events arrive (a replayed batch
counts once), filled by the migration from events stored before it, and pruned with the
events by retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import create_engine, select, text

from central.db.engine import make_session_factory, session_scope
from central.db.migrate import alembic_config, upgrade
from central.db.models import Organisation, UsageDaily
from central.usage import retention
from devtools.central_world import make_org, ok


def event(type_: str, at: datetime, data: dict | None = None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "at": at.isoformat(),
        "session_id": "s-1",
        "data": data or {},
    }


def counts(central, kiosk_id: str) -> dict[tuple[str, str], tuple[int, float, float]]:
    with session_scope(central.app.state.sessions) as db:
        rows = db.scalars(select(UsageDaily).where(UsageDaily.kiosk_id == kiosk_id))
        return {(r.type, r.detail): (r.count, r.total, r.peak) for r in rows}


def test_counts_follow_the_events_once_each(central, national):
    org = make_org(central, national)
    now = datetime.now(UTC) - timedelta(hours=1)
    batch = {
        "events": [
            event("session_started", now),
            event("session_started", now),
            event("satisfaction", now, {"score": 4}),
            event("satisfaction", now, {"score": 4}),
            event("call_ended", now, {"duration_s": 300, "outcome": "completed"}),
            event("call_ended", now, {"duration_s": 120, "outcome": "completed"}),
            event("accessibility_used", now, {"feature": "large_text", "on": True}),
        ]
    }
    ok(central.request("POST", "/kiosk/events", org.device_token, json=batch))
    ok(central.request("POST", "/kiosk/events", org.device_token, json=batch))  # replayed
    found = counts(central, org.kiosk_id)
    assert found == {
        ("session_started", ""): (2, 0.0, 0.0),
        ("satisfaction", "4"): (2, 0.0, 0.0),
        ("call_ended", ""): (2, 420.0, 300.0),
        ("accessibility_used", "large_text"): (1, 0.0, 0.0),
    }


def test_retention_prunes_the_counts_with_the_events(central, national):
    org = make_org(central, national)
    old = datetime.now(UTC) - timedelta(days=300)
    ok(
        central.request(
            "POST",
            "/kiosk/events",
            org.device_token,
            json={"events": [event("session_started", old)]},
        )
    )
    assert counts(central, org.kiosk_id)
    with session_scope(central.app.state.sessions) as db:
        db.get(Organisation, org.id).retention = {"usage_days": 30}
    with central.app.state.sessions() as db:
        retention.apply(db, central.app.state.settings)
    assert counts(central, org.kiosk_id) == {}


def test_the_migration_counts_events_stored_before_it(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/old.db")
    command.upgrade(alembic_config(engine), "0006")
    now = datetime.now(UTC).replace(tzinfo=None)
    # Rows written as the 0006 schema had them (the models now have more columns).
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (id, name, retention, created_at) "
                "VALUES ('o', 'Kunta', '{}', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO sites (id, org_id, name, timezone, config, config_version, "
                "code_salt, pruned_through, created_at) VALUES ('s', 'o', 'Piste', "
                "'Europe/Helsinki', '{}', 1, 'x', 0, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO kiosks (id, site_id, org_id, hardware_id, name, device_token_hash, "
                "outbox_depth, dropped_events, health, enrolled_at) VALUES ('k', 's', 'o', "
                "'hw', 'k', 'h', 0, 0, '{}', :now)"
            ),
            {"now": now},
        )
        for n, (type_, data) in enumerate(
            [
                ("satisfaction", '{"score": 5}'),
                ("satisfaction", '{"score": 5}'),
                ("call_ended", '{"duration_s": 60}'),
            ]
        ):
            conn.execute(
                text(
                    "INSERT INTO usage_events (id, kiosk_id, site_id, org_id, type, at, "
                    "local_day, data, received_at) VALUES (:id, 'k', 's', 'o', :type, :now, "
                    "'2026-11-28', :data, :now)"
                ),
                {"id": f"e{n}", "type": type_, "data": data, "now": now},
            )
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as db:
        rows = {(r.type, r.detail): (r.count, r.total) for r in db.scalars(select(UsageDaily))}
    assert rows == {("satisfaction", "5"): (2, 0.0), ("call_ended", ""): (1, 60.0)}


def test_the_reports_today_is_helsinkis_not_the_servers():
    """The console's default report ends today in Helsinki: after Finnish midnight the
    server's UTC date is still yesterday (a console report then missed today's bookings)."""
    from datetime import UTC, date, datetime

    from central.usage.usage_report import today

    assert today(datetime(2026, 12, 7, 21, 59, tzinfo=UTC)) == date(2026, 12, 7)
    assert today(datetime(2026, 12, 7, 22, 0, tzinfo=UTC)) == date(2026, 12, 8)  # EET, +2
    assert today(datetime(2026, 7, 1, 20, 59, tzinfo=UTC)) == date(2026, 7, 1)
    assert today(datetime(2026, 7, 1, 21, 0, tzinfo=UTC)) == date(2026, 7, 2)  # EEST, +3
