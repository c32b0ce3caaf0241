"""What the streak has told the user: the rule, the day's reminder, a streak's end.

Revision ID: 2034512e5ea5
Revises: f9a080d22c70
Create Date: 2026-11-26 10:00:15.138567+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "2034512e5ea5"
down_revision: str | Sequence[str] | None = "f9a080d22c70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``streak.rule_told_at``, ``streak.reminded_on`` and ``streak.end_told_on``."""
    with op.batch_alter_table("streak", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_told_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("end_told_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("streak", schema=None) as batch_op:
        batch_op.drop_column("end_told_on")
        batch_op.drop_column("reminded_on")
        batch_op.drop_column("rule_told_at")
