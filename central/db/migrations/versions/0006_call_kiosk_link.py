"""calls: the kiosk's link quality, as it last reported it (good, fair or poor)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kiosk_link", sa.String(length=8), nullable=False, server_default="good")
        )


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("kiosk_link")
