"""Repositories: one per aggregate; they own every query, flush but never commit."""

from db.repositories.files import FileCacheRepository
from db.repositories.nudges import UNSET, ClaimedNudge, NudgePrefs, NudgeRepository
from db.repositories.progress import ExerciseProgressRepository
from db.repositories.stats import StatsRepository
from db.repositories.streaks import StreakRepository
from db.repositories.triage import ProfileRepository, TriageRepository
from db.repositories.users import UserRepository
from db.repositories.water import WaterRepository
from db.repositories.workouts import WorkoutRepository

__all__ = [
    "UNSET",
    "ClaimedNudge",
    "ExerciseProgressRepository",
    "FileCacheRepository",
    "NudgePrefs",
    "NudgeRepository",
    "ProfileRepository",
    "StatsRepository",
    "StreakRepository",
    "TriageRepository",
    "UserRepository",
    "WaterRepository",
    "WorkoutRepository",
]
