"""A unit of work: the repositories of one database session, used for one update."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.checkins import CheckInRepository
from db.repositories.files import FileCacheRepository
from db.repositories.nudges import NudgeRepository
from db.repositories.progress import ExerciseProgressRepository
from db.repositories.stats import StatsRepository
from db.repositories.streaks import StreakRepository
from db.repositories.triage import ProfileRepository, TriageRepository
from db.repositories.updates import HandledUpdateRepository
from db.repositories.users import LanguageObserver, UserRepository
from db.repositories.water import WaterRepository
from db.repositories.workouts import WorkoutRepository


class UnitOfWork:
    """Every repository bound to the same session, so one update is one transaction."""

    def __init__(self, session: AsyncSession, languages: LanguageObserver | None = None) -> None:
        self.session = session
        self.users = UserRepository(session, languages)
        self.triage = TriageRepository(session)
        self.profiles = ProfileRepository(session)
        self.workouts = WorkoutRepository(session)
        self.progress = ExerciseProgressRepository(session)
        self.streaks = StreakRepository(session)
        self.nudges = NudgeRepository(session)
        self.water = WaterRepository(session)
        self.files = FileCacheRepository(session)
        self.stats = StatsRepository(session)
        self.checkins = CheckInRepository(session)
        self.updates = HandledUpdateRepository(session)
