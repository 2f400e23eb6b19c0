"""call parties: interpreters and experts of other organisations who join a call; a
booking's interpreter language

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:00:00
"""

from alembic import op
import sqlalchemy as sa

import central.db.types


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interpreter_language", sa.String(length=8), nullable=True))
    op.create_table(
        "call_parties",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("service_id", sa.String(length=64), nullable=True),
        sa.Column("wanted_user_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("joined_at", central.db.types.UTCDateTime(), nullable=True),
        sa.Column("left_at", central.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["wanted_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_parties_call_id", "call_parties", ["call_id"])
    op.create_index("ix_call_parties_user_id", "call_parties", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_call_parties_user_id", table_name="call_parties")
    op.drop_index("ix_call_parties_call_id", table_name="call_parties")
    op.drop_table("call_parties")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("interpreter_language")
