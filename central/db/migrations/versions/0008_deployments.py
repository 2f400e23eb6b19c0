"""deployments of releases in phases, each kiosk's state in one, and kiosk tags

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:20:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("release", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("selector", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("error_threshold", sa.Double(), nullable=False),
        sa.Column("success_threshold", sa.Double(), nullable=False),
        sa.Column("failures_acknowledged", sa.Integer(), nullable=False),
        sa.Column("paused_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_deployments_org_id", "deployments", ["org_id"])
    op.create_index("ix_deployments_created_at", "deployments", ["created_at"])
    op.create_table(
        "deployment_kiosks",
        sa.Column(
            "deployment_id",
            sa.String(length=36),
            sa.ForeignKey("deployments.id"),
            primary_key=True,
        ),
        sa.Column("kiosk_id", sa.String(length=36), sa.ForeignKey("kiosks.id"), primary_key=True),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_deployment_kiosks_kiosk_id", "deployment_kiosks", ["kiosk_id"])


def downgrade() -> None:
    op.drop_index("ix_deployment_kiosks_kiosk_id", table_name="deployment_kiosks")
    op.drop_table("deployment_kiosks")
    op.drop_index("ix_deployments_created_at", table_name="deployments")
    op.drop_index("ix_deployments_org_id", table_name="deployments")
    op.drop_table("deployments")
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("tags")
