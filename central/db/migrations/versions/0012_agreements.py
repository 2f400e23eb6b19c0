"""Agreements between organisations, their history and monthly statements, the national
expert directory; a call's provider and agreement (joint service points)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("host_org_id", sa.String(length=36), nullable=False),
        sa.Column("provider_org_id", sa.String(length=36), nullable=False),
        sa.Column("service_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("site_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.String(length=10), nullable=False),
        sa.Column("valid_to", sa.String(length=10), nullable=True),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("vat_basis_points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_org_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["host_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreements_host_org_id", "agreements", ["host_org_id"])
    op.create_index("ix_agreements_provider_org_id", "agreements", ["provider_org_id"])
    op.create_table(
        "agreement_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agreement_events_agreement_id", "agreement_events", ["agreement_id"])
    op.create_table(
        "statements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "month", name="uq_statements_month"),
    )
    op.create_table(
        "expert_directory",
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    # Every call so far was served by its own organisation.
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("agreement_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("statement_id", sa.String(length=36), nullable=True))
    op.execute("UPDATE calls SET provider_id = org_id")
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreement_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("statement_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_call_parties_agreement_id", "agreements", ["agreement_id"], ["id"]
        )
        batch_op.create_index("ix_call_parties_agreement_id", ["agreement_id"])
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.alter_column("provider_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_foreign_key(
            "fk_calls_provider_id", "organisations", ["provider_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_calls_agreement_id", "agreements", ["agreement_id"], ["id"])
        batch_op.create_index("ix_calls_provider_id", ["provider_id"])
        batch_op.create_index("ix_calls_provider_status", ["provider_id", "status"])
        batch_op.create_index(
            "ix_calls_agreement_statement", ["agreement_id", "statement_id", "ended_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("call_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_call_parties_agreement_id")
        batch_op.drop_constraint("fk_call_parties_agreement_id", type_="foreignkey")
        batch_op.drop_column("statement_id")
        batch_op.drop_column("agreement_id")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_agreement_statement")
        batch_op.drop_index("ix_calls_provider_status")
        batch_op.drop_index("ix_calls_provider_id")
        batch_op.drop_constraint("fk_calls_agreement_id", type_="foreignkey")
        batch_op.drop_constraint("fk_calls_provider_id", type_="foreignkey")
        batch_op.drop_column("statement_id")
        batch_op.drop_column("agreement_id")
        batch_op.drop_column("provider_id")
    op.drop_table("expert_directory")
    op.drop_table("statements")
    op.drop_index("ix_agreement_events_agreement_id", "agreement_events")
    op.drop_table("agreement_events")
    op.drop_index("ix_agreements_provider_org_id", "agreements")
    op.drop_index("ix_agreements_host_org_id", "agreements")
    op.drop_table("agreements")
