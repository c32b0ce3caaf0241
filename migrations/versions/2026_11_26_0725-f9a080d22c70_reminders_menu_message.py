"""The /reminders screen last sent to each user, so a new one closes the old one.

Revision ID: f9a080d22c70
Revises: 87105f0c3c90
Create Date: 2026-11-26 07:25:52.429422+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "f9a080d22c70"
down_revision: str | Sequence[str] | None = "87105f0c3c90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``nudge_settings.menu_message_id``."""
    with op.batch_alter_table("nudge_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("menu_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("nudge_settings", schema=None) as batch_op:
        batch_op.drop_column("menu_message_id")
