"""calls: officials' profiles, calls, their chat and documents, download audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:20:00
"""

from alembic import op
import sqlalchemy as sa

import central.db.types


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("official_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key("fk_bookings_official", "users", ["official_id"], ["id"])
    op.create_table(
        "official_profiles",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("presence", sa.String(length=16), nullable=False),
        sa.Column("seen_at", central.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("kiosk_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=True),
        sa.Column("wanted_official_id", sa.String(length=36), nullable=True),
        sa.Column("official_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("identification", sa.String(length=16), nullable=False),
        sa.Column("created_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", central.db.types.UTCDateTime(), nullable=True),
        sa.Column("ended_at", central.db.types.UTCDateTime(), nullable=True),
        sa.Column("kiosk_seen_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("official_seen_at", central.db.types.UTCDateTime(), nullable=True),
        sa.Column("room", sa.String(length=64), nullable=True),
        sa.Column("room_closed", sa.Boolean(), nullable=False),
        sa.Column("documents_to_citizen", sa.Integer(), nullable=False),
        sa.Column("documents_from_citizen", sa.Integer(), nullable=False),
        sa.Column("documents_printed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"]),
        sa.ForeignKeyConstraint(["wanted_official_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["official_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calls_org_id", "calls", ["org_id"])
    op.create_index("ix_calls_kiosk_id", "calls", ["kiosk_id"])
    op.create_index("ix_calls_official_id", "calls", ["official_id"])
    op.create_index("ix_calls_org_status", "calls", ["org_id", "status"])
    op.create_table(
        "call_messages",
        sa.Column("id", BIGINT, nullable=False, autoincrement=True),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", central.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_messages_call_id", "call_messages", ["call_id"])
    op.create_table(
        "call_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("printed_at", central.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_documents_call_id", "call_documents", ["call_id"])
    op.create_index("ix_call_documents_created_at", "call_documents", ["created_at"])
    op.create_table(
        "document_downloads",
        sa.Column("id", BIGINT, nullable=False, autoincrement=True),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", central.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_downloads_document_id", "document_downloads", ["document_id"])


def downgrade() -> None:
    op.drop_table("document_downloads")
    op.drop_table("call_documents")
    op.drop_table("call_messages")
    op.drop_table("calls")
    op.drop_table("official_profiles")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bookings_official", type_="foreignkey")
        batch_op.drop_column("official_id")
