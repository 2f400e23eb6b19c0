"""Alerts acknowledged by a person, or silenced for a while (no notices)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:50:00
"""

from alembic import op
import sqlalchemy as sa

import central.db.types


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", central.db.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("silenced_until", central.db.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("silenced_until")
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
