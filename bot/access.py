"""Who may be given exercise now, read from the database for the coach to decide.

Kept outside ``bot.handlers`` so the nudge scheduling and every handler can ask
the same question without importing one another.
"""

from __future__ import annotations

from bot.coach.triage import Access, Experience, PainDuration, TriageAnswers
from bot.coach.triage import exercise_access as coach_access
from bot.uow import UnitOfWork
from content.schema import Equipment
from db.models import Profile


def answers_from_profile(profile: Profile) -> TriageAnswers:
    """The coach's view of a stored profile."""
    return TriageAnswers(
        red_flags=frozenset(profile.red_flag_ids),
        contraindications=frozenset(profile.contraindication_ids),
        pain_now=profile.pain_now,
        pain_duration=PainDuration(profile.pain_duration),
        experience=Experience(profile.experience),
        equipment=frozenset(Equipment(item) for item in profile.equipment),
        cleared=frozenset(profile.cleared_ids),
        pregnant=profile.pregnant,
        notes=frozenset(profile.note_ids),
    )


async def exercise_access(uow: UnitOfWork, user_id: int) -> Access:
    """Read the profile and any open check, and ask the coach whether exercise may be offered."""
    profile = await uow.profiles.get(user_id)
    state = await uow.triage.get_state(user_id)
    return access_from(profile, state.step if state is not None else None)


def access_from(profile: Profile | None, check_step: str | None) -> Access:
    """``exercise_access`` from rows already read: the profile and the stored triage step."""
    check_open = check_step is not None and is_check_step(check_step)
    answers = answers_from_profile(profile) if profile is not None else None
    return coach_access(answers, check_open=check_open)


async def has_consented(uow: UnitOfWork, user_id: int) -> bool:
    """Whether the user agreed to be coached (their check ended, or a flag stopped it).

    Before that, nothing is stored about them outside the check itself.
    """
    user = await uow.users.get(user_id)
    if user is None:
        return False
    return user.consent_at is not None or await uow.profiles.get(user_id) is not None


def emergency_open(profile: Profile) -> bool:
    """A red flag of the emergency tier no doctor has cleared: not even water nudges then."""
    open_red_flags = set(profile.red_flag_ids) - set(profile.cleared_ids)
    return bool(open_red_flags) and profile.red_flag == "emergency"


def is_check_step(step: str) -> bool:
    """A stored triage step that belongs to the safety check, not a typed setting."""
    return not step.startswith("await_") and step != "zone_only"
