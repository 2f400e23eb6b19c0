"""audit_log (every change through the API or the console), alerts and their notices,
each organisation's alert recipients, invitations, labels of systems' API tokens, and
catalogue files under review, and each kiosk's condition at its last heartbeat

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


def downgrade() -> None:
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
