"""security: derived booking codes, per-booking salts, revocation, retention, throttle keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 07:30:00
"""

from alembic import op
import sqlalchemy as sa

import central.db.types


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", central.db.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("device_token_expires_at", central.db.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("retired_at", central.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("previous_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("previous_token_until", central.db.types.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_kiosks_previous_token_hash"), ["previous_token_hash"], unique=False
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=16), nullable=True)
        batch_op.add_column(
            sa.Column("code_nonce", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("code_lookup", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash_salt", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "hash_alg",
                sa.String(length=32),
                nullable=False,
                server_default="pbkdf2-sha256:20000",
            )
        )
        batch_op.create_index(
            "ix_bookings_site_code_lookup", ["site_id", "code_lookup"], unique=False
        )
    # Throttle rows are short-lived counters: start the new keyed table empty.
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", central.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"], unique=False
    )


def downgrade() -> None:
    # Derived codes cannot be written back: bookings made after 0003 keep a NULL code.
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", central.db.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", central.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("email"),
    )
    op.create_index(
        "ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"], unique=False
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_site_code_lookup")
        for column in ("hash_alg", "hash_salt", "code_lookup", "code_nonce"):
            batch_op.drop_column(column)
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosks_previous_token_hash"))
        batch_op.drop_column("previous_token_until")
        batch_op.drop_column("previous_token_hash")
        batch_op.drop_column("retired_at")
        batch_op.drop_column("device_token_expires_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("retention")
