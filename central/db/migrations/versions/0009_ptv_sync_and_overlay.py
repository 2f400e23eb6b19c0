"""PTV sync per organisation, where each service came from, and the local overlay

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:00:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ptv_organisation", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ptv_modified", sa.String(length=40), nullable=True))
    op.create_index("ix_services_ptv_organisation", "services", ["ptv_organisation"])
    op.create_table(
        "service_overlays",
        sa.Column("service_id", sa.String(length=64), primary_key=True),
        sa.Column("site_id", sa.String(length=36), primary_key=True),
        sa.Column("remote_video", sa.Boolean(), nullable=True),
        sa.Column("identification", sa.String(length=16), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ptv_syncs",
        sa.Column(
            "organisation_id",
            sa.String(length=36),
            sa.ForeignKey("organisations.id"),
            primary_key=True,
        ),
        sa.Column("api_base", sa.String(length=500), nullable=False),
        sa.Column("ptv_organisation", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("full_every_hours", sa.Integer(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_full_at", UTCDateTime(), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_table("ptv_syncs")
    op.drop_table("service_overlays")
    op.drop_index("ix_services_ptv_organisation", table_name="services")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("ptv_modified")
        batch_op.drop_column("ptv_organisation")
