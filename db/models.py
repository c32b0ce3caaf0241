"""The schema: users, triage, workouts, streaks, nudges and cached file ids.

Columns named ``*_at`` are UTC instants; ``*_on`` are dates in the user's own
time zone. Every table that holds something about a user references
``user.id`` with ``ON DELETE CASCADE``, so erasing a user is one delete.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, BigIntId, UTCDateTime


def _user_fk() -> Any:
    return ForeignKey("user.id", ondelete="CASCADE")


class User(Base):
    """A Telegram user in a private chat (the chat id equals the user id)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when Telegram answers 403 (the user blocked the bot); cleared when they write again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Profile(Base):
    """The outcome of triage; one row per user, replaced when triage is redone."""

    __tablename__ = "profile"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    red_flag: Mapped[str] = mapped_column(String(16), default="none")  # none|soon|emergency
    red_flag_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    contraindication_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The last time a doctor's clearance was recorded; which flags it covered is cleared_ids.
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Flags (red flags or contraindications) a doctor cleared; any other reported flag blocks.
    cleared_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # When the latest flag was reported: an emergency cannot be cleared within the hour.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    age_band: Mapped[str | None] = mapped_column(String(8))  # under_16|16_49|50_plus
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Routine flags: exercise is fine, mention them to a GP (the inflammatory pattern).
    note_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Set by the safety net (worse twice, or pain ended two sessions): stretches only since.
    stretch_only_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pain_now: Mapped[int] = mapped_column(Integer, default=0)
    # When pain_now was answered: at the check, or at the latest weekly check-in.
    pain_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pain_duration: Mapped[str] = mapped_column(String(16), default="days")  # days|weeks|months
    experience: Mapped[str] = mapped_column(String(16), default="new")  # new|some|regular
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    phase: Mapped[str] = mapped_column(String(16), default="gentle")
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="profile")


class TriageState(Base):
    """An unfinished triage, written on every answer so a restart or kill loses nothing."""

    __tablename__ = "triage_state"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    step: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Incremented with every question; buttons carry it, so stale ones are recognised.
    nonce: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Workout(Base):
    """One `/today` or `/stretch` session, its planned cards and where the user is."""

    __tablename__ = "workout"
    __table_args__ = (Index("ix_workout_user_id_local_on", "user_id", "local_on"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    kind: Mapped[str] = mapped_column(String(16))  # today|stretch
    local_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_early: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"exercise_id": ..., "variant_id": ..., "dosage": {...}}, ...]
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    hurts: Mapped[int] = mapped_column(Integer, default=0)
    feeling: Mapped[str | None] = mapped_column(String(16))  # better|same|worse
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # When "how does your back feel?" went out: a session finished without it (the process
    # died between the two) asks it at the next /today or press of its last card.
    feeling_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feeling_update_id: Mapped[int | None] = mapped_column(BigInteger)  # as ExerciseResult's

    # Loaded only where asked for (selectinload); a lazy load would be hidden I/O in async code.
    results: Mapped[list[ExerciseResult]] = relationship(
        back_populates="workout",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExerciseResult.position",
        lazy="raise_on_sql",
    )


class ExerciseResult(Base):
    """The answer to one card; unique per position so a double press counts once."""

    __tablename__ = "exercise_result"
    __table_args__ = (
        UniqueConstraint("workout_id", "position"),
        Index("ix_exercise_result_user_id_answered_at", "user_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    workout_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("workout.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    position: Mapped[int] = mapped_column(Integer)
    exercise_id: Mapped[str] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # done|skipped|hurt
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The Telegram update that gave the answer: the same update delivered again (its
    # process died) picks up where it stopped, while a second tap is only a double tap.
    update_id: Mapped[int | None] = mapped_column(BigInteger)

    workout: Mapped[Workout] = relationship(back_populates="results")


class ExerciseProgress(Base):
    """Per-user, per-exercise progression level and the last time it hurt."""

    __tablename__ = "exercise_progress"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    hurt_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Streak(Base):
    """The running streak, kept so `/progress` never scans a user's whole history."""

    __tablename__ = "streak"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    current: Mapped[int] = mapped_column(Integer, default=0)
    best: Mapped[int] = mapped_column(Integer, default=0)
    last_on: Mapped[date | None] = mapped_column(Date)
    # The last rest day that the streak forgave (one a week).
    rest_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the rest-day rule was explained (once, in a session's summary).
    rule_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The local day of the last "your streak is at risk" line (at most one a day).
    reminded_on: Mapped[date | None] = mapped_column(Date)
    # The last day (``last_on``) of the streak whose end the user was told about.
    end_told_on: Mapped[date | None] = mapped_column(Date)


class StreakDay(Base):
    """A local day on which the user finished a session; the key makes counting idempotent."""

    __tablename__ = "streak_day"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    day_on: Mapped[date] = mapped_column(Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=1)


class NudgeSettings(Base):
    """What reminders a user wants, in their local times."""

    __tablename__ = "nudge_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    stretch_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    stretch_times: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["11:00", "15:00"]
    stretch_days: Mapped[int] = mapped_column(Integer, default=0b0011111)  # Mon=bit 0
    water_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every four hours from 08:00: four a day (bot.coach.nudges.DEFAULT_WATER_INTERVAL_MINUTES).
    water_interval_minutes: Mapped[int] = mapped_column(Integer, default=240)
    wake_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    wake_end: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The weekly check-in: which local weekday (Monday 0) and at what local time.
    checkin_weekday: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    checkin_time: Mapped[time] = mapped_column(
        Time, default=time(10, 0), server_default=text("'10:00:00'")
    )
    # The /reminders screen last sent: a new one takes the buttons off it.
    menu_message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Nudge(Base):
    """The next due time of one kind of nudge for one user; the dispatcher claims these rows."""

    __tablename__ = "nudge"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        Index("ix_nudge_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    kind: Mapped[str] = mapped_column(String(16))  # stretch|water
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A lease: while in the future, another dispatcher leaves the row alone.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_text_index: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class WaterLog(Base):
    """One glass of water logged from a hydration nudge."""

    __tablename__ = "water_log"
    __table_args__ = (
        Index("ix_water_log_user_id_local_on", "user_id", "local_on"),
        # One glass per nudge message: a double tap on its button counts once.
        UniqueConstraint("user_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_on: Mapped[date] = mapped_column(Date)
    # The nudge message whose button logged it (None when it came without one).
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class FileCache(Base):
    """Telegram file ids of uploaded pictures, keyed by what was drawn, so nothing uploads twice."""

    __tablename__ = "file_cache"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandledUpdate(Base):
    """Telegram updates already handled, so one delivered again after a crash is not redone.

    Telegram keeps an update until it is confirmed and delivers it again after a crash or
    to the other replica; rows older than two days are pruned (Telegram keeps updates 24 h).
    """

    __tablename__ = "handled_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CheckIn(Base):
    """One pain-and-function check: the baseline at the first check, then one a week.

    A row with neither ``completed_at`` nor ``skipped`` is a check-in under way: each
    answer is stored as given, so it resumes where it stopped.
    """

    __tablename__ = "checkin"
    __table_args__ = (Index("ix_checkin_user_id_started_at", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    kind: Mapped[str] = mapped_column(String(16))  # baseline|weekly
    local_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    pain: Mapped[int | None] = mapped_column(Integer)  # 0..10, now
    function: Mapped[int | None] = mapped_column(Integer)  # 0..10: how much it limited the week
    # Activities the user finds hard, each rated 0..10 for how well they can do it.
    activities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    phase: Mapped[str | None] = mapped_column(String(16))  # the plan's phase when it was taken


class PhaseChange(Base):
    """A move of the plan to another phase, and why: drawn on the trend, exported."""

    __tablename__ = "phase_change"
    __table_args__ = (Index("ix_phase_change_user_id_changed_at", "user_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_on: Mapped[date] = mapped_column(Date)
    from_phase: Mapped[str] = mapped_column(String(16))
    to_phase: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))  # accepted_next|worse|cleared|...
