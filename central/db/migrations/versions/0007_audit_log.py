"""audit_log (every change through the API or the console), alerts and their notices,
each organisation's alert recipients, invitations, labels of systems' API tokens, and
catalogue files under review, each kiosk's condition at its last heartbeat, and the daily usage counts reports read
(filled from the events already stored)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:40:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_id", "audit_log", ["user_id"])
    op.create_index("ix_audit_log_org_id", "audit_log", ["org_id"])
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerting", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("condition", sa.String(length=16), nullable=False, server_default="ok")
        )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("kiosk_id", sa.String(length=36), sa.ForeignKey("kiosks.id"), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("condition", sa.String(length=120), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("open_key", sa.String(length=160), nullable=True, unique=True),
    )
    op.create_index("ix_alerts_kiosk_id", "alerts", ["kiosk_id"])
    op.create_index("ix_alerts_org_id", "alerts", ["org_id"])
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"])
    op.create_table(
        "alert_notices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("alert_id", sa.String(length=36), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("event", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
    )
    op.create_index("ix_alert_notices_alert_id", "alert_notices", ["alert_id"])
    op.create_index("ix_alert_notices_next_try_at", "alert_notices", ["next_try_at"])
    op.create_table(
        "invitations",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.String(length=36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("invited_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_invitations_user_id", "invitations", ["user_id"])
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
    op.create_table(
        "catalogue_drafts",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_catalogue_drafts_user_id", "catalogue_drafts", ["user_id"])
    op.create_index("ix_catalogue_drafts_created_at", "catalogue_drafts", ["created_at"])
    daily = op.create_table(
        "usage_daily",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("kiosk_id", sa.String(length=36), nullable=False),
        sa.Column("local_day", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("peak", sa.Double(), nullable=False),
        sa.UniqueConstraint(
            "kiosk_id", "local_day", "type", "service_id", "detail", name="uq_usage_daily_key"
        ),
    )
    op.create_index("ix_usage_daily_org_day", "usage_daily", ["org_id", "local_day"])
    op.create_index("ix_usage_daily_site_day", "usage_daily", ["site_id", "local_day"])
    op.create_index("ix_usage_daily_type_day", "usage_daily", ["type", "local_day", "count"])
    _count_stored_events(daily)


def _count_stored_events(daily: sa.Table) -> None:
    """The events stored before this migration, counted as ingest now counts new ones."""
    from central.usage.usage_daily import duration_of, key_of

    events = sa.table(
        "usage_events",
        sa.column("org_id", sa.String),
        sa.column("site_id", sa.String),
        sa.column("kiosk_id", sa.String),
        sa.column("local_day", sa.String),
        sa.column("type", sa.String),
        sa.column("service_id", sa.String),
        sa.column("data", sa.JSON),
    )
    summed: dict[tuple[str, ...], dict] = {}
    for row in op.get_bind().execute(sa.select(events)).mappings():
        type_, service, detail = key_of(row["type"], row["service_id"], row["data"] or {})
        key = (row["kiosk_id"], row["local_day"], type_, service, detail)
        duration = duration_of(type_, row["data"] or {})
        found = summed.setdefault(
            key,
            {
                "org_id": row["org_id"],
                "site_id": row["site_id"],
                "kiosk_id": row["kiosk_id"],
                "local_day": row["local_day"],
                "type": type_,
                "service_id": service,
                "detail": detail,
                "count": 0,
                "total": 0.0,
                "peak": 0.0,
            },
        )
        found["count"] += 1
        found["total"] += duration
        found["peak"] = max(found["peak"], duration)
    if summed:
        op.bulk_insert(daily, list(summed.values()))


def downgrade() -> None:
    op.drop_table("usage_daily")
    op.drop_table("catalogue_drafts")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_column("created_at")
        batch_op.drop_column("label")
    op.drop_table("invitations")
    op.drop_table("alert_notices")
    op.drop_table("alerts")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("alerting")
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("condition")
    op.drop_table("audit_log")
