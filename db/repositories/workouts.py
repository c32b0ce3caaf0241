"""Workouts and card answers, with the race-safety a double press needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Executable, Table, and_, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from db.models import (
    CheckIn,
    ExerciseResult,
    NudgeSettings,
    Profile,
    Streak,
    TriageState,
    User,
    Workout,
)
from db.repositories._sql import dialect_name, insert_in
from db.repositories.checkins import under_way_for

# The workout table itself, for the hot path's Core statements (see _record_answer_statement).
WORKOUT_TABLE = cast(Table, Workout.__table__)


@dataclass(frozen=True, slots=True)
class PressRow:
    """Everything a card press is decided on, read in one query."""

    workout: Workout
    time_zone: str
    profile: Profile | None
    check_step: str | None  # the stored triage step, if a check or typed setting is open
    last_outcome: str | None  # the answer to the card before the one on show
    streak: Streak | None = None  # the owner's streak, for a press that finishes the session
    done: int = 0  # answers stored so far: done
    skipped: int = 0  # and skipped


@dataclass(frozen=True, slots=True)
class StartRow:
    """What `/today` or `/stretch` decides on besides the day's sessions, read in one query."""

    profile: Profile | None
    check_step: str | None  # the stored triage step, if a check or typed setting is open
    streak: Streak | None
    settings: NudgeSettings | None
    latest_checkin: CheckIn | None  # the newest check-in in any state
    checkin_open: bool  # some check-in is under way (neither completed nor skipped)


class WorkoutRepository:
    """Sessions of cards: start, answer, advance, finish, and history for progress."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_for_day(self, user_id: int, kind: str, local_on: date) -> Workout | None:
        """The newest unfinished workout of this kind on this local day, to resume it.

        Answers are not loaded (nothing on this path reads them); ``results`` has them.
        """
        stmt = (
            select(Workout)
            .where(
                Workout.user_id == user_id,
                Workout.kind == kind,
                Workout.local_on == local_on,
                Workout.finished_at.is_(None),
            )
            .order_by(Workout.started_at.desc(), Workout.id.desc())
            .limit(1)
        )
        return (await self._session.scalars(stmt)).one_or_none()

    async def open_of(
        self, user_ids: Sequence[int], kind: str, since: date
    ) -> dict[tuple[int, date], Workout]:
        """The newest unfinished workout of this kind per user and local day from ``since`` on.

        One query for a batch of users (the dispatcher's), each of whom has a local day of
        their own: the caller picks the day it needs.
        """
        found: dict[tuple[int, date], Workout] = {}
        if not user_ids:
            return found
        stmt = (
            select(Workout)
            .where(
                Workout.user_id.in_(sorted(set(user_ids))),
                Workout.kind == kind,
                Workout.local_on >= since,
                Workout.finished_at.is_(None),
            )
            .order_by(Workout.started_at, Workout.id)
        )
        for workout in await self._session.scalars(stmt):
            found[(workout.user_id, workout.local_on)] = workout  # the newest wins
        return found

    async def start(
        self,
        user_id: int,
        kind: str,
        local_on: date,
        plan: list[dict[str, Any]],
        now: datetime,
    ) -> Workout:
        """Begin a workout at its first card."""
        workout = Workout(
            user_id=user_id,
            kind=kind,
            local_on=local_on,
            started_at=now,
            plan=plan,
            position=0,
            hurts=0,
            ended_early=False,
            results=[],
        )
        self._session.add(workout)
        await self._session.flush()
        return workout

    async def get(self, workout_id: int, user_id: int | None = None) -> Workout | None:
        """The workout, without its answers; pass ``user_id`` to refuse someone else's.

        A button press loads it and never reads the answers: loading them cost a SELECT
        per press. ``results`` fetches them when needed.
        """
        stmt = (
            select(Workout)
            .where(Workout.id == workout_id)
            .execution_options(populate_existing=True)
        )
        if user_id is not None:
            stmt = stmt.where(Workout.user_id == user_id)
        return (await self._session.scalars(stmt)).one_or_none()

    async def answer(
        self,
        workout_id: int,
        user_id: int,
        position: int,
        card: tuple[str, str | None],
        outcome: str,
        now: datetime,
        update_id: int | None = None,
        *,
        finish: bool = False,
        ended_early: bool = False,
    ) -> bool:
        """Store the answer to the card at ``position`` (``card``: its exercise and variant)
        and move past it; False when another press moved first (a double tap).

        The compare-and-set on the position decides, and the answer goes in only with it;
        with ``finish`` the same compare-and-set ends the workout. On PostgreSQL that is one
        statement (the UPDATE in a WITH feeding the INSERT; ``user_id`` then comes from the
        workout row): each statement is a round trip and a pass through SQLAlchemy, and the
        second one was 12 % of a press's database work (bench/README, seventh round).
        SQLite allows no UPDATE inside WITH: two statements in the same transaction.
        """
        hurts = 1 if outcome == "hurt" else 0
        finish_at = now if finish else None
        if dialect_name(self._session) != "postgresql":
            if not await self.advance(
                workout_id,
                position,
                position + 1,
                hurts,
                finish_at=finish_at,
                ended_early=ended_early,
            ):
                return False
            exercise_id, variant_id = card
            await self.record_answer(
                workout_id, user_id, position, exercise_id, variant_id, outcome, now, update_id
            )
            return True
        params: dict[str, Any] = {
            "workout": workout_id,
            "expected": position,
            "new_position": position + 1,
            "add_hurts": hurts,
            "exercise_id": card[0],
            "variant_id": card[1],
            "outcome": outcome,
            "answered_at": now,
            "update_id": update_id,
        }
        if finish:
            params.update(finish_at=now, early=ended_early)
        stmt = _answer_statement(finishing=finish)
        if not (await self._session.execute(stmt, params)).scalar_one():
            return False
        self._moved(workout_id, position + 1, hurts, finish_at, ended_early)
        return True

    async def record_answer(
        self,
        workout_id: int,
        user_id: int,
        position: int,
        exercise_id: str,
        variant_id: str | None,
        outcome: str,
        now: datetime,
        update_id: int | None = None,
    ) -> bool:
        """Store the answer to one card; False when that card was already answered."""
        stmt = _record_answer_statement(dialect_name(self._session))
        params = {
            "workout_id": workout_id,
            "user_id": user_id,
            "position": position,
            "exercise_id": exercise_id,
            "variant_id": variant_id,
            "outcome": outcome,
            "answered_at": now,
            "update_id": update_id,
        }
        return (await self._session.execute(stmt, params)).first() is not None

    async def advance(
        self,
        workout_id: int,
        expected_position: int,
        new_position: int,
        hurts: int = 0,
        *,
        finish_at: datetime | None = None,
        ended_early: bool = False,
    ) -> bool:
        """Move to ``new_position`` only from ``expected_position``; ``hurts`` adds to the count.

        With ``finish_at`` the same compare-and-set ends the workout too (as ``finish``).
        """
        params: dict[str, Any] = {
            "workout": workout_id,
            "expected": expected_position,
            "new_position": new_position,
            "add_hurts": hurts,
        }
        if finish_at is not None:
            params.update(finish_at=finish_at, early=ended_early)
        stmt = _advance_statement(finishing=finish_at is not None)
        if (await self._session.execute(stmt, params)).first() is None:
            return False
        self._moved(workout_id, new_position, hurts, finish_at, ended_early)
        return True

    def _moved(
        self,
        workout_id: int,
        position: int,
        hurts: int,
        finish_at: datetime | None,
        ended_early: bool,
    ) -> None:
        """Bring the held workout up to a compare-and-set that moved it (see ``_sync``)."""
        held = self._held(workout_id)
        values: dict[str, Any] = {"position": position}
        if held is not None:
            values["hurts"] = held.hurts + hurts
        if finish_at is not None:
            values.update(finished_at=finish_at, ended_early=ended_early)
        self._sync(held, values)

    def _held(self, workout_id: int) -> Workout | None:
        """The workout this session holds, if it read it."""
        held = self._session.identity_map.get(identity_key(Workout, workout_id))
        return held if isinstance(held, Workout) else None

    def _sync(self, held: Workout | None, values: dict[str, Any]) -> None:
        """Bring the held workout up to date after a Core UPDATE, as the ORM's own UPDATE
        would have (its bookkeeping cost more than the statement: see _advance_statement)."""
        if held is not None:
            for name, value in values.items():
                set_committed_value(held, name, value)

    async def mark_feeling_asked(self, workout_id: int, now: datetime) -> None:
        """Remember that "how does your back feel?" went out, so it is never asked twice."""
        await self._set_once(workout_id, "feeling_asked_at", {"feeling_asked_at": now})

    async def set_card_message(self, workout_id: int, message_id: int | None) -> None:
        """Remember which message shows the current card, to edit or clear its buttons."""
        values = {"card_message_id": message_id}
        await self._session.execute(_set_statement(None), {"workout": workout_id, **values})
        self._sync(self._held(workout_id), values)

    async def finish(self, workout_id: int, now: datetime, ended_early: bool = False) -> bool:
        """End the workout; True only for the call that actually ended it."""
        return await self._set_once(
            workout_id, "finished_at", {"finished_at": now, "ended_early": ended_early}
        )

    async def set_feeling(
        self, workout_id: int, feeling: str, update_id: int | None = None
    ) -> bool:
        """Store how the user felt afterwards; the first answer wins."""
        values = {"feeling": feeling, "feeling_update_id": update_id}
        return await self._set_once(workout_id, "feeling", values)

    async def _set_once(self, workout_id: int, unset: str, values: dict[str, Any]) -> bool:
        """Write ``values`` only while column ``unset`` is still NULL; True if it wrote."""
        stmt = _set_statement(unset)
        if (await self._session.execute(stmt, {"workout": workout_id, **values})).first() is None:
            return False
        self._sync(self._held(workout_id), values)
        return True

    async def for_press(self, workout_id: int) -> PressRow | None:
        """The workout, its owner's zone, profile, open check and streak, and its answers:
        the last one, and how many were done and skipped.

        One statement instead of seven on the path every press takes (the last card's
        summary needs the streak and the counts).
        """
        stmt = _for_press_statement()
        row = (await self._session.execute(stmt, {"workout_id": workout_id})).first()
        if row is None:
            return None
        workout, time_zone, profile, step, outcome, streak, done, skipped = row
        return PressRow(
            workout, time_zone, profile, step, outcome, streak, int(done or 0), int(skipped or 0)
        )

    async def for_start(self, user_id: int) -> StartRow | None:
        """The user's profile, open check, streak, reminder settings and newest check-in.

        One statement instead of six on the path every `/today` takes; None without a
        user row.
        """
        stmt = _for_start_statement()
        row = (await self._session.execute(stmt, {"user_id": user_id})).first()
        if row is None:
            return None
        profile, step, streak, settings, checkin, checkin_open = row
        return StartRow(profile, step, streak, settings, checkin, bool(checkin_open))

    async def of_day(self, user_id: int, local_on: date) -> list[Workout]:
        """Every workout of the user's local day, oldest first (answers not loaded)."""
        stmt = (
            select(Workout)
            .where(Workout.user_id == user_id, Workout.local_on == local_on)
            .order_by(Workout.started_at, Workout.id)
        )
        return list(await self._session.scalars(stmt))

    async def result_at(self, workout_id: int, position: int) -> ExerciseResult | None:
        """The answer given to one card, if any."""
        stmt = select(ExerciseResult).where(
            ExerciseResult.workout_id == workout_id, ExerciseResult.position == position
        )
        return (await self._session.scalars(stmt)).first()

    async def results(self, workout_id: int) -> list[ExerciseResult]:
        """The answers of one workout, in card order."""
        stmt = (
            select(ExerciseResult)
            .where(ExerciseResult.workout_id == workout_id)
            .order_by(ExerciseResult.position)
        )
        return list(await self._session.scalars(stmt))

    async def recent(self, user_id: int, since_on: date) -> list[Workout]:
        """Workouts from ``since_on`` (a local date) on, oldest first, answers loaded.

        One statement: the answers come joined (a month is a few dozen rows at most).
        """
        stmt = (
            select(Workout)
            .where(Workout.user_id == user_id, Workout.local_on >= since_on)
            .options(joinedload(Workout.results))
            .order_by(Workout.local_on, Workout.started_at, Workout.id)
        )
        return list((await self._session.scalars(stmt)).unique())

    async def finished_count_between(
        self, user_id: int, start_on: date, end_on: date, kind: str | None = None
    ) -> int:
        """How many workouts (of ``kind``, if given) were finished on local days
        ``start_on``..``end_on`` inclusive."""
        stmt = select(func.count()).where(
            Workout.user_id == user_id,
            Workout.local_on.between(start_on, end_on),
            Workout.finished_at.is_not(None),
        )
        if kind is not None:
            stmt = stmt.where(Workout.kind == kind)
        return int((await self._session.execute(stmt)).scalar_one())

    async def close_open(self, user_id: int, now: datetime) -> list[int]:
        """End every unfinished workout of the user early (no streak day); their card messages.

        Used when exercise stops being safe: the cards on screen must stop working.
        """
        stmt = (
            update(Workout)
            .where(Workout.user_id == user_id, Workout.finished_at.is_(None))
            # No "how does your back feel?" is owed for a session closed for safety.
            .values(finished_at=now, ended_early=True, feeling_asked_at=now)
            .returning(Workout.card_message_id)
        )
        ids = (await self._session.execute(stmt)).scalars()
        return [message_id for message_id in ids if message_id is not None]

    async def finished_count(self, user_id: int, kind: str | None = None) -> int:
        """How many workouts (of ``kind``, if given) the user finished to the end, ever."""
        stmt = select(func.count()).where(
            Workout.user_id == user_id,
            Workout.finished_at.is_not(None),
            Workout.ended_early.is_(False),
        )
        if kind is not None:
            stmt = stmt.where(Workout.kind == kind)
        return int((await self._session.execute(stmt)).scalar_one())


# The two statements every press and every /today run, built once: building them again
# (aliases, subqueries) cost more CPU than running them. The values come as parameters.
@cache
def _for_press_statement() -> Executable:
    """``for_press``'s statement, with the workout id as the parameter ``workout_id``."""
    before = aliased(ExerciseResult)
    result = ExerciseResult
    tally = (
        select(
            result.workout_id,
            func.sum(case((result.outcome == "done", 1), else_=0)).label("done"),
            func.sum(case((result.outcome == "skipped", 1), else_=0)).label("skipped"),
        )
        .where(result.workout_id == bindparam("workout_id"))
        .group_by(result.workout_id)
        .subquery()
    )
    stmt = (
        select(
            Workout,
            User.time_zone,
            Profile,
            TriageState.step,
            before.outcome,
            Streak,
            tally.c.done,
            tally.c.skipped,
        )
        .join(User, User.id == Workout.user_id)
        .outerjoin(Profile, Profile.user_id == Workout.user_id)
        .outerjoin(TriageState, TriageState.user_id == Workout.user_id)
        .outerjoin(
            before,
            and_(before.workout_id == Workout.id, before.position == Workout.position - 1),
        )
        .outerjoin(Streak, Streak.user_id == Workout.user_id)
        .outerjoin(tally, tally.c.workout_id == Workout.id)
        .where(Workout.id == bindparam("workout_id"))
    )
    return stmt


# A press's two writes, built once per dialect for the same reason, and on the tables
# rather than the mapped classes: an ORM-enabled UPDATE or INSERT first works out which
# objects of the session it touches (the press's UPDATE took 0.6 ms that way, 0.2 ms on
# the table with SQLite and 0.35 ms with PostgreSQL; issue 17).
@cache
def _record_answer_statement(dialect: str) -> Executable:
    """``record_answer``'s INSERT ... ON CONFLICT DO NOTHING; the columns come as parameters."""
    table = ExerciseResult.__table__
    return (
        insert_in(dialect, table)
        .on_conflict_do_nothing(index_elements=["workout_id", "position"])
        .returning(table.c.id)
    )


@cache
def _advance_statement(*, finishing: bool) -> Executable:
    """``advance``'s compare-and-set, with or without ending the workout.

    Parameter names differ from the columns': SQLAlchemy keeps those for the SET clause.
    """
    table = WORKOUT_TABLE
    values: dict[str, Any] = {
        "position": bindparam("new_position"),
        "hurts": table.c.hurts + bindparam("add_hurts"),
    }
    if finishing:
        values.update(finished_at=bindparam("finish_at"), ended_early=bindparam("early"))
    return (
        update(table)
        .where(
            table.c.id == bindparam("workout"),
            table.c.position == bindparam("expected"),
            table.c.finished_at.is_(None),
        )
        .values(values)
        .returning(table.c.id, table.c.user_id)
    )


@cache
def _answer_statement(*, finishing: bool) -> Executable:
    """``answer``'s one statement on PostgreSQL: ``advance``'s compare-and-set in a WITH,
    the answer inserted from what it returned (nothing when it moved nothing), and the
    count of workouts moved (0 or 1) as the result. Parameters as ``advance``'s and
    ``record_answer``'s, the answer's position being ``expected``."""
    moved = cast(Any, _advance_statement(finishing=finishing)).cte("moved")
    answers = cast(Table, ExerciseResult.__table__)
    columns = answers.c
    values = select(
        moved.c.id,
        moved.c.user_id,
        bindparam("expected", type_=columns.position.type),
        bindparam("exercise_id", type_=columns.exercise_id.type),
        bindparam("variant_id", type_=columns.variant_id.type),
        bindparam("outcome", type_=columns.outcome.type),
        bindparam("answered_at", type_=columns.answered_at.type),
        bindparam("update_id", type_=columns.update_id.type),
    )
    names = [
        "workout_id",
        "user_id",
        "position",
        "exercise_id",
        "variant_id",
        "outcome",
        "answered_at",
        "update_id",
    ]
    stored = (
        insert_in("postgresql", answers)
        .from_select(names, values)
        .on_conflict_do_nothing(index_elements=["workout_id", "position"])
        .returning(columns.id)
        .cte("stored")
    )
    # Naming the INSERT is what puts it in the statement; its count is not needed.
    return select(
        select(func.count()).select_from(moved).scalar_subquery(),
        select(func.count()).select_from(stored).scalar_subquery(),
    )


@cache
def _set_statement(unset: str | None) -> Executable:
    """An UPDATE of one workout (parameter ``workout``) setting the columns its other
    parameters name; with ``unset``, only while that column is NULL, and RETURNING the id.

    A Core statement built once (see above); the held workout is kept in step by
    ``WorkoutRepository._sync``.
    """
    table = WORKOUT_TABLE
    stmt = update(table).where(table.c.id == bindparam("workout"))
    if unset is None:
        return stmt
    return stmt.where(table.c[unset].is_(None)).returning(table.c.id)


@cache
def _for_start_statement() -> Executable:
    """``for_start``'s statement, with the user id as the parameter ``user_id``."""
    newest = aliased(CheckIn)
    newest_id = (
        select(newest.id)
        .where(newest.user_id == bindparam("user_id"))
        .order_by(newest.started_at.desc(), newest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    under_way = under_way_for(bindparam("user_id"))
    stmt = (
        select(Profile, TriageState.step, Streak, NudgeSettings, CheckIn, under_way)
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(TriageState, TriageState.user_id == User.id)
        .outerjoin(Streak, Streak.user_id == User.id)
        .outerjoin(NudgeSettings, NudgeSettings.user_id == User.id)
        .outerjoin(CheckIn, CheckIn.id == newest_id)
        .where(User.id == bindparam("user_id"))
    )
    return stmt
