"""A call from home (/visit/): no kiosk and no service point; where the citizen sits.
An index for the appointment search: an official's bookings by time

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.alter_column("kiosk_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("site_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(
            sa.Column("place", sa.String(length=16), nullable=False, server_default="service_point")
        )
    op.create_index("ix_bookings_official_starts", "bookings", ["official_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_bookings_official_starts", table_name="bookings")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("place")
        batch_op.alter_column("site_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column("kiosk_id", existing_type=sa.String(length=36), nullable=False)
