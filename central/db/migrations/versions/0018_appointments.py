"""Video appointment calendars, officials' absences, the slots bookings claim; bookings
from calendars (channel, place, language, contact, hold) and from home (no site)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:40:00
"""

from alembic import op
import sqlalchemy as sa

from central.db.types import UTCDateTime


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointment_calendars",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("official_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("book_ahead_days", sa.Integer(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.String(length=10), nullable=False),
        sa.Column("valid_until", sa.String(length=10), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["official_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appointment_calendars_org_id", "appointment_calendars", ["org_id"])
    op.create_index(
        "ix_appointment_calendars_official_id", "appointment_calendars", ["official_id"]
    )
    op.create_index("ix_appointment_calendars_service_id", "appointment_calendars", ["service_id"])
    op.create_table(
        "absences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("official_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["official_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_absences_official_id", "absences", ["official_id"])
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.alter_column("site_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("calendar_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column(
                "channel", sa.String(length=16), nullable=False, server_default="booking_system"
            )
        )
        batch_op.add_column(sa.Column("place", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("hold_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("any_lookup", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_bookings_any_lookup", ["any_lookup"])
        batch_op.create_foreign_key(
            "fk_bookings_calendar_id",
            "appointment_calendars",
            ["calendar_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "slot_claims",
        sa.Column("official_id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["official_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("official_id", "at"),
    )
    op.create_index("ix_slot_claims_booking_id", "slot_claims", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_slot_claims_booking_id", table_name="slot_claims")
    op.drop_table("slot_claims")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bookings_calendar_id", type_="foreignkey")
        batch_op.drop_index("ix_bookings_any_lookup")
        for column in (
            "any_lookup",
            "hold_until",
            "contact_email",
            "language",
            "place",
            "channel",
            "calendar_id",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("site_id", existing_type=sa.String(length=36), nullable=False)
    op.drop_index("ix_absences_official_id", table_name="absences")
    op.drop_table("absences")
    for index in ("service_id", "official_id", "org_id"):
        op.drop_index(f"ix_appointment_calendars_{index}", table_name="appointment_calendars")
    op.drop_table("appointment_calendars")
