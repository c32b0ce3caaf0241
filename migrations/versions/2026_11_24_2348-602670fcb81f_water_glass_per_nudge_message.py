"""One glass of water per nudge message: a double tap on the button counts once.

Revision ID: 602670fcb81f
Revises: 110209b4acb7
Create Date: 2026-11-24 23:48:27.002683+00:00

Rows logged before this revision have no message id (NULL), and NULLs never collide in
a unique constraint on either database, so the upgrade keeps every glass already logged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "602670fcb81f"
down_revision: str | Sequence[str] | None = "110209b4acb7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the message id and the one-glass-per-message rule."""
    with op.batch_alter_table("water_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_water_log_user_id"), ["user_id", "message_id"]
        )


def downgrade() -> None:
    """Drop the rule and the column (glasses stay logged)."""
    with op.batch_alter_table("water_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_water_log_user_id"), type_="unique")
        batch_op.drop_column("message_id")
