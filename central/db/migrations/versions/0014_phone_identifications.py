"""Identification by the citizen's phone: the QR codes kiosks show, single use

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:30:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_identifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kiosk_id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("short_code", sa.String(length=8), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("refusal", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_phone_identifications_kiosk_id", "phone_identifications", ["kiosk_id"])
    op.create_index("ix_phone_identifications_call_id", "phone_identifications", ["call_id"])
    op.create_index("ix_phone_identifications_expires_at", "phone_identifications", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_phone_identifications_expires_at", "phone_identifications")
    op.drop_index("ix_phone_identifications_call_id", "phone_identifications")
    op.drop_index("ix_phone_identifications_kiosk_id", "phone_identifications")
    op.drop_table("phone_identifications")
