"""Exercises and rules built in code, shaped like the real content, so coach tests stand alone."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.coach.triage import Experience, PainDuration, TriageAnswers
from content.schema import (
    Equipment,
    Flag,
    GroupKind,
    Rules,
    ScreenGroup,
    Tier,
    TierText,
)
from tests.coach.library import (
    BY_ID,
    EXERCISES,
    FAST,
    SLOW,
    make_exercise,
)

__all__ = [
    "ANY_ANSWERS",
    "BY_ID",
    "CONTRA_IDS",
    "EXERCISES",
    "FAST",
    "FLAG_IDS",
    "RULES",
    "SLOW",
    "answers_strategy",
    "make_exercise",
]


def _flag(flag_id: str, tier: Tier, when: str | None = None) -> Flag:
    return Flag(
        flag_id, tier, f"label {flag_id}", f"btn {flag_id}", f"{flag_id}?", f"Why: {flag_id}.", when
    )


RULES = Rules(
    groups=(
        ScreenGroup(
            "urgent",
            GroupKind.STOP,
            "Any of these now?",
            (_flag("saddle_numbness", Tier.EMERGENCY), _flag("bladder_bowel", Tier.EMERGENCY)),
        ),
        ScreenGroup(
            "today",
            GroupKind.STOP,
            "Any of these?",
            (_flag("trauma", Tier.SAME_DAY), _flag("fever_unwell", Tier.SAME_DAY)),
        ),
        ScreenGroup(
            "soon",
            GroupKind.STOP,
            "And these?",
            (_flag("weight_loss", Tier.SOON), _flag("new_over_50", Tier.SOON, "age_50_plus")),
        ),
        ScreenGroup(
            "history",
            GroupKind.PICK,
            "Tick what applies.",
            (
                _flag("spine_fracture", Tier.DOCTOR_FIRST),
                _flag("herniated_disc", Tier.DOCTOR_FIRST),
                _flag("inflammatory_pattern", Tier.ROUTINE),
                _flag("pregnant", Tier.ADAPT),
            ),
        ),
    ),
    tiers={tier: TierText(f"Head {tier}", f"Advice {tier} {{number}}") for tier in Tier},
    sources=("test source",),
    age_question="How old?",
    under_16="Not for under 16.",
    avoid_when_in_pain=("No crunches in pain.",),
    avoid_as_beginner=("No weights as a beginner.",),
    during_exercise=("Go slowly.", "Skip what hurts."),
    roller_rule="Roller on the buttocks only.",
)

FLAG_IDS = tuple(f.id for f in RULES.flags if f.tier.stops)
CONTRA_IDS = tuple(f.id for f in RULES.flags if f.tier is Tier.DOCTOR_FIRST)


def answers_strategy(
    *,
    flags: st.SearchStrategy[frozenset[str]] | None = None,
    contras: st.SearchStrategy[frozenset[str]] | None = None,
) -> st.SearchStrategy[TriageAnswers]:
    """Every combination of triage answers (flags and contraindications by default empty)."""
    return st.builds(
        TriageAnswers,
        red_flags=flags if flags is not None else st.just(frozenset()),
        contraindications=contras if contras is not None else st.just(frozenset()),
        pain_now=st.integers(0, 10),
        pain_duration=st.sampled_from(PainDuration),
        experience=st.sampled_from(Experience),
        equipment=st.frozensets(st.sampled_from(Equipment)),
        cleared=st.frozensets(st.sampled_from(FLAG_IDS + CONTRA_IDS)),
        pregnant=st.booleans(),
    )


ANY_ANSWERS = answers_strategy(
    flags=st.frozensets(st.sampled_from(FLAG_IDS)),
    contras=st.frozensets(st.sampled_from(CONTRA_IDS)),
)
