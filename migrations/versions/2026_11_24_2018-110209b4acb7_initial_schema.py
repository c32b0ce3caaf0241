"""Initial schema: users, triage, workouts, progress, streaks, nudges, water, file cache.

Revision ID: 110209b4acb7
Revises:
Create Date: 2026-11-24 20:18:30.930181+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Autoincrementing ids: 64-bit on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "110209b4acb7"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "file_cache",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_file_cache")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
    )
    op.create_table(
        "exercise_progress",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("hurt_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_exercise_progress_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "exercise_id", name=op.f("pk_exercise_progress")),
    )
    op.create_table(
        "nudge",
        sa.Column(
            "id",
            BIG_ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_text_index", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_nudge_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_nudge_user_id")),
    )
    op.create_index("ix_nudge_due_at", "nudge", ["due_at"])

    op.create_table(
        "nudge_settings",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stretch_enabled", sa.Boolean(), nullable=False),
        sa.Column("stretch_times", sa.JSON(), nullable=False),
        sa.Column("stretch_days", sa.Integer(), nullable=False),
        sa.Column("water_enabled", sa.Boolean(), nullable=False),
        sa.Column("water_interval_minutes", sa.Integer(), nullable=False),
        sa.Column("wake_start", sa.Time(), nullable=False),
        sa.Column("wake_end", sa.Time(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_nudge_settings_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_nudge_settings")),
    )
    op.create_table(
        "profile",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("red_flag", sa.String(length=16), nullable=False),
        sa.Column("red_flag_ids", sa.JSON(), nullable=False),
        sa.Column("contraindication_ids", sa.JSON(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pain_now", sa.Integer(), nullable=False),
        sa.Column("pain_duration", sa.String(length=16), nullable=False),
        sa.Column("experience", sa.String(length=16), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_profile_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profile")),
    )
    op.create_table(
        "streak",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("best", sa.Integer(), nullable=False),
        sa.Column("last_on", sa.Date(), nullable=True),
        sa.Column("rest_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_streak_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_streak")),
    )
    op.create_table(
        "streak_day",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("day_on", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_streak_day_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day_on", name=op.f("pk_streak_day")),
    )
    op.create_table(
        "triage_state",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_triage_state_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_triage_state")),
    )
    op.create_table(
        "water_log",
        sa.Column(
            "id",
            BIG_ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_water_log_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_log")),
    )
    op.create_index("ix_water_log_user_id_local_on", "water_log", ["user_id", "local_on"])

    op.create_table(
        "workout",
        sa.Column(
            "id",
            BIG_ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_on", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_early", sa.Boolean(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hurts", sa.Integer(), nullable=False),
        sa.Column("feeling", sa.String(length=16), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_workout_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workout")),
    )
    op.create_index("ix_workout_user_id_local_on", "workout", ["user_id", "local_on"])

    op.create_table(
        "exercise_result",
        sa.Column(
            "id",
            BIG_ID,
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("workout_id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("variant_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_exercise_result_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workout_id"],
            ["workout.id"],
            name=op.f("fk_exercise_result_workout_id_workout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_result")),
        sa.UniqueConstraint("workout_id", "position", name=op.f("uq_exercise_result_workout_id")),
    )
    op.create_index(
        "ix_exercise_result_user_id_answered_at", "exercise_result", ["user_id", "answered_at"]
    )


def downgrade() -> None:
    """Downgrade schema (children first; their indexes go with them)."""
    op.drop_table("exercise_result")
    op.drop_table("workout")
    op.drop_table("water_log")
    op.drop_table("triage_state")
    op.drop_table("streak_day")
    op.drop_table("streak")
    op.drop_table("profile")
    op.drop_table("nudge_settings")
    op.drop_table("nudge")
    op.drop_table("exercise_progress")
    op.drop_table("user")
    op.drop_table("file_cache")
