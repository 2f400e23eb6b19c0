"""Sealed call rooms, interpretation services, audit entries about another organisation's
call, booking names sealed for kiosks (security round 2)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 13:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("room_left", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "interpretation_service", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concerns_org_id", sa.String(length=36), nullable=True))
    op.create_index("ix_audit_log_concerns_org_id", "audit_log", ["concerns_org_id"])
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_sealed_code", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("name_sealed_card", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("name_sealed_card")
        batch_op.drop_column("name_sealed_code")
    op.drop_index("ix_audit_log_concerns_org_id", table_name="audit_log")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("concerns_org_id")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("interpretation_service")
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.drop_column("room_left")
