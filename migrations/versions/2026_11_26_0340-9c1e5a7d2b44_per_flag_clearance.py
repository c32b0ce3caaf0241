"""Per-flag clearance, the age band, pregnancy, routine notes and the safety net's mark.

Revision ID: 9c1e5a7d2b44
Revises: 602670fcb81f
Create Date: 2026-11-26 03:40:00.000000+00:00

Before this revision one ``cleared_at`` cleared every flag of a profile. Rows that were
cleared then keep that meaning: the upgrade copies their reported flags into
``cleared_ids``, so nobody cleared before is blocked again, and nothing reported later
is ever covered by an old clearance.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c1e5a7d2b44"
down_revision: str | Sequence[str] | None = "602670fcb81f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ids(value: object) -> list[str]:
    """A JSON list column as read back by either driver (a list, or its text)."""
    if isinstance(value, str):
        value = json.loads(value)
    return [str(item) for item in value or []]


def upgrade() -> None:
    """Add the columns, then carry old clearances over flag by flag."""
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cleared_ids", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("age_band", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("pregnant", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("note_ids", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("stretch_only_since", sa.DateTime(timezone=True), nullable=True)
        )
    profile = sa.table(
        "profile",
        sa.column("user_id", sa.BigInteger()),
        sa.column("red_flag_ids", sa.JSON()),
        sa.column("contraindication_ids", sa.JSON()),
        sa.column("cleared_at", sa.DateTime(timezone=True)),
        sa.column("cleared_ids", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(profile.c.user_id, profile.c.red_flag_ids, profile.c.contraindication_ids).where(
            profile.c.cleared_at.is_not(None)
        )
    ).all()
    for user_id, flags, contra in rows:
        cleared = sorted(set(_ids(flags)) | set(_ids(contra)))
        bind.execute(
            profile.update().where(profile.c.user_id == user_id).values(cleared_ids=cleared)
        )


def downgrade() -> None:
    """Drop the columns (a profile cleared for some flags reads as cleared for all)."""
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_column("stretch_only_since")
        batch_op.drop_column("note_ids")
        batch_op.drop_column("pregnant")
        batch_op.drop_column("age_band")
        batch_op.drop_column("flagged_at")
        batch_op.drop_column("cleared_ids")
