"""Weekly check-ins (pain, function, hard activities), phase changes, the check-in time.

Existing users get the check-in on Mondays at 10:00 local time until they choose
another day; nothing else changes for them. ``profile.pain_at`` says when the pain
figure was given (empty for old profiles: their check's completion time stands in).

Revision ID: d0b19b213f1f
Revises: 9c1e5a7d2b44
Create Date: 2026-11-26 03:53:43.368772+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "d0b19b213f1f"
down_revision: str | Sequence[str] | None = "9c1e5a7d2b44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the check-in and phase-change tables and the check-in day and time."""
    op.create_table(
        "checkin",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_on", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("function", sa.Integer(), nullable=True),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_checkin_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_user_id_started_at", ["user_id", "started_at"], unique=False
        )

    op.create_table(
        "phase_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_on", sa.Date(), nullable=False),
        sa.Column("from_phase", sa.String(length=16), nullable=False),
        sa.Column("to_phase", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_phase_change_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_change")),
    )
    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_phase_change_user_id_changed_at", ["user_id", "changed_at"], unique=False
        )

    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pain_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("nudge_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkin_weekday", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "checkin_time", sa.Time(), server_default=sa.text("'10:00:00'"), nullable=False
            )
        )


def downgrade() -> None:
    """Drop them again (check-ins and phase changes are lost)."""
    with op.batch_alter_table("nudge_settings", schema=None) as batch_op:
        batch_op.drop_column("checkin_time")
        batch_op.drop_column("checkin_weekday")

    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("pain_at")

    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.drop_index("ix_phase_change_user_id_changed_at")

    op.drop_table("phase_change")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_user_id_started_at")

    op.drop_table("checkin")
