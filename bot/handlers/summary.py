"""The end of the check: what Lumbar now knows, what it means, and what to do first."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup

from bot.callbacks import Menu
from bot.coach.desk import in_sentence
from bot.coach.triage import advice_texts, assess
from bot.coach.triage_flow import TriageState, answers_from
from bot.handlers.safety import clearance_button
from bot.keyboards import button, rows
from content.schema import Equipment, Library, Tier

# The equipment a user can tick, in the order the check and the summaries list it.
EQUIPMENT = (Equipment.MAT, Equipment.WEIGHT, Equipment.BALL, Equipment.ROLLER)


def _facts(lib: Library, state: TriageState, key: str) -> str:
    """What the check knows: pain, experience, equipment, zone and reminders."""
    answers = answers_from(state, lib.rules)
    equipment = ", ".join(
        lib.text(f"equipment_{e.value}") for e in EQUIPMENT if e in answers.equipment
    ) or lib.text("equipment_nothing")
    return lib.text(
        key,
        pain=answers.pain_now,
        duration=in_sentence(lib.text(f"duration_{answers.pain_duration.value}"), lib.language),
        experience=lib.text(f"experience_{answers.experience.value}"),
        equipment=html.escape(equipment),
        zone=html.escape(state.time_zone or "UTC"),
        reminders=lib.text(f"summary_reminders_{state.reminder_choice.value}"),
    )


def plan_text(lib: Library, state: TriageState) -> str:
    """The plan screen: the facts, the choices it may change, the phase and the advice."""
    text, _ = summary_message(lib, state, facts_key="plan_facts")
    return text


def summary_message(
    lib: Library, state: TriageState, *, facts_key: str = "summary_facts"
) -> tuple[str, InlineKeyboardMarkup]:
    """The summary: the facts, then the conditions by name with their advice, then the plan.

    A user who must see a doctor first is told so before anything else, and gets the
    clearance button instead of "Start my first session".
    """
    answers = answers_from(state, lib.rules)
    outcome = assess(answers, lib.rules, lib.exercises)
    facts = _facts(lib, state, facts_key)
    flags = [f for f in lib.rules.flags if f.id in answers.contraindications - answers.cleared]
    if outcome.blocked:
        words = lib.rules.tiers[Tier.DOCTOR_FIRST]
        parts = [
            f"⚠️ <b>{html.escape(words.headline)}</b>",
            lib.text("stop_you_told_me", flags="; ".join(html.escape(f.label) for f in flags)),
            *(html.escape(f.why) for f in flags),
            html.escape(words.advice),
            facts,
        ]
        return "\n\n".join(parts), clearance_button(lib)
    parts = [
        lib.text("summary_ready"),
        facts,
        lib.text(
            "summary_phase",
            phase=lib.text(f"phase_name_{outcome.phase.value}"),
            phase_text=lib.text(f"phase_{outcome.phase.value}"),
        ),
    ]
    noted = [f for f in lib.rules.flags if f.id in answers.notes]
    if noted:
        words = lib.rules.tiers[Tier.ROUTINE]
        parts.append(
            f"🩺 <b>{html.escape(words.headline)}</b> "
            + lib.text("stop_you_told_me", flags="; ".join(html.escape(f.label) for f in noted))
            + " "
            + html.escape(words.advice)
        )
    if answers.pregnant:
        words = lib.rules.tiers[Tier.ADAPT]
        parts.append(f"🤰 <b>{html.escape(words.headline)}</b> {html.escape(words.advice)}")
    tips = advice_texts(outcome, answers, lib.rules)
    if tips:
        parts.append(
            lib.text("summary_good_to_know")
            + "\n"
            + "\n".join(f"• {html.escape(line)}" for line in tips)
        )
    markup = rows([button(lib.text("btn_first_session"), Menu("go", "today"))])
    return "\n\n".join(parts), markup
