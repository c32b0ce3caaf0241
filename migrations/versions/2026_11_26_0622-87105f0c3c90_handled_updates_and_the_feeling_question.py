"""Handled updates (at-least-once delivery), when the feeling question was asked, and
which update gave each answer (so an update delivered again resumes, a double tap does not).

Sessions finished before this revision count as asked: only a session whose
question was lost to a crash from now on is asked again.

Revision ID: 87105f0c3c90
Revises: d0b19b213f1f
Create Date: 2026-11-26 06:22:19.391886+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "87105f0c3c90"
down_revision: str | Sequence[str] | None = "d0b19b213f1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the ledger of handled updates and ``workout.feeling_asked_at``."""
    op.create_table(
        "handled_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_update")),
    )
    with op.batch_alter_table("handled_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handled_update_handled_at"), ["handled_at"], unique=False
        )

    with op.batch_alter_table("workout", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feeling_asked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("feeling_update_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("exercise_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("update_id", sa.BigInteger(), nullable=True))
    op.execute("UPDATE workout SET feeling_asked_at = finished_at WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("exercise_result", schema=None) as batch_op:
        batch_op.drop_column("update_id")
    with op.batch_alter_table("workout", schema=None) as batch_op:
        batch_op.drop_column("feeling_update_id")
        batch_op.drop_column("feeling_asked_at")

    with op.batch_alter_table("handled_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handled_update_handled_at"))

    op.drop_table("handled_update")
