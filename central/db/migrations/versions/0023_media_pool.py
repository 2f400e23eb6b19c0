"""A pool of media servers: each call's Janus, and each Janus's last checked state; an
index for the periodic sweep of calls whose kiosk went quiet

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:20:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_server", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("media_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_calls_status_seen", ["status", "kiosk_seen_at"])
    op.create_table(
        "media_servers",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("media_servers")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_status_seen")
        batch_op.drop_column("media_epoch")
        batch_op.drop_column("media_server")
