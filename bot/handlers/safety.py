"""What a user with a reported flag is told, wherever they meet the block.

The check's stop, a later ``/start``, ``/today``, ``/stretch``, an old card, a
nudge button: all answer with the same words, built here from the content's
tiers and per-flag reasons, so an emergency never turns into "see a doctor soon"
on a later visit, and the reason is always given.
"""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.callbacks import Menu
from bot.coach import clearance
from bot.coach.triage import TriageAnswers, emergency_number, worst_tier
from bot.keyboards import button, rows
from content.schema import Flag, Library, Tier


def number_for(lib: Library, zone_name: str | None) -> str:
    """The emergency number for the user's country, in words when the zone does not tell."""
    number = emergency_number(zone_name, lib.zone_countries, lib.emergency_numbers)
    return f"<b>{number}</b>" if number else lib.text("local_emergency_number")


def stop_text(lib: Library, flag_ids: frozenset[str], zone_name: str | None) -> str:
    """The message for open flags: headline, what was reported, why, and what to do now."""
    tier = worst_tier(flag_ids, lib.rules) or Tier.SOON
    words = lib.rules.tiers[tier]
    # A red flag's message speaks of red flags only; the article's conditions wait.
    flags = [f for f in _flags(lib, flag_ids) if f.tier.stops == tier.stops]
    icon = "🚨" if tier is Tier.EMERGENCY else "⚠️"
    lines = [f"{icon} <b>{html.escape(words.headline)}</b>", ""]
    if flags:
        told = "; ".join(html.escape(flag.label) for flag in flags)
        lines.append(lib.text("stop_you_told_me", flags=told))
        lines.extend(html.escape(flag.why) for flag in flags)
        lines.append("")
    lines.append(html.escape(words.advice).replace("{number}", number_for(lib, zone_name)))
    return "\n".join(lines)


def _flags(lib: Library, flag_ids: frozenset[str]) -> list[Flag]:
    """The reported flags, most urgent tier first, in the order they are asked."""
    order = list(Tier)
    found = [flag for flag in lib.rules.flags if flag.id in flag_ids]
    return sorted(found, key=lambda flag: order.index(flag.tier))


def clearance_button(lib: Library) -> InlineKeyboardMarkup:
    """The one way to tell Lumbar a doctor has examined the user."""
    return rows([button(lib.text("btn_cleared"), Menu("clear", "ask"))])


def blocked_reply(
    lib: Library,
    answers: TriageAnswers,
    zone_name: str | None,
    *,
    flagged_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The refusal for a blocked user: the stop message again, with the clearance
    button only where a clearance may be asked for (never within the hour of an emergency).
    """
    open_ids = answers.open_flags
    text = stop_text(lib, open_ids, zone_name)
    if now is None or not may_clear(lib, open_ids, flagged_at, now):
        return text, None
    return text + "\n\n" + lib.text("cleared_later"), clearance_button(lib)


def may_clear(
    lib: Library, open_ids: frozenset[str], flagged_at: datetime | None, now: datetime
) -> bool:
    """Whether to offer the clearance button now (never within the hour of an emergency)."""
    return clearance.verdict(open_ids, lib.rules, flagged_at, now) is clearance.Verdict.ALLOWED
