"""Strong identification: a call's identification method, ID-card challenges and the
sealed identity of a call

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 21:00:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identification_method", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("identification_requested", sa.String(length=16), nullable=True)
        )
    op.create_table(
        "identity_challenges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kiosk_id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("challenge", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_challenges_kiosk_id", "identity_challenges", ["kiosk_id"])
    op.create_index("ix_identity_challenges_call_id", "identity_challenges", ["call_id"])
    op.create_index("ix_identity_challenges_expires_at", "identity_challenges", ["expires_at"])
    op.create_table(
        "call_identities",
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_call_identities_created_at", "call_identities", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_call_identities_created_at", "call_identities")
    op.drop_table("call_identities")
    op.drop_index("ix_identity_challenges_expires_at", "identity_challenges")
    op.drop_index("ix_identity_challenges_call_id", "identity_challenges")
    op.drop_index("ix_identity_challenges_kiosk_id", "identity_challenges")
    op.drop_table("identity_challenges")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("identification_requested")
        batch_op.drop_column("identification_method")
