"""What a kiosk sends in a call (its camera, its microphone), for the official's desk

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kiosk_camera", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("kiosk_microphone", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("kiosk_microphone")
        batch_op.drop_column("kiosk_camera")
