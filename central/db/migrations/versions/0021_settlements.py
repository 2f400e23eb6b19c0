"""Suomi.fi Payments' settlement reports, line by line, for the reconciliation

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:40:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("settlement_id", sa.String(length=32), nullable=False),
        sa.Column("settlement_reference", sa.String(length=64), nullable=False),
        sa.Column("settled_on", sa.String(length=10), nullable=False),
        sa.Column("stamp", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "settlement_id", "stamp"),
    )
    op.create_index("ix_settlement_lines_org_id", "settlement_lines", ["org_id"])
    op.create_index("ix_settlement_lines_stamp", "settlement_lines", ["stamp"])


def downgrade() -> None:
    op.drop_table("settlement_lines")
