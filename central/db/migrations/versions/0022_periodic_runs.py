"""When each periodic job last ran, across central instances

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:00:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "periodic_runs",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("instance", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("periodic_runs")
