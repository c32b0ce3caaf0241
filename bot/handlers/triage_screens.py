"""The safety check's questions as a user sees them: text and buttons for each step."""

from __future__ import annotations

import html
import unicodedata

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import TriageAnswer
from bot.coach.triage_flow import (
    DONE,
    FLAG,
    NONE,
    AgeBand,
    TriageState,
    TriageStep,
    current_group,
    pending_flags,
)
from bot.keyboards import button, grid, rows
from content.schema import Equipment, GroupKind, Library

EQUIPMENT = (Equipment.MAT, Equipment.WEIGHT, Equipment.BALL, Equipment.ROLLER)
# Navigation inside the time-zone question; everything else is an answer for the coach.
REGION, CITY, REGIONS = "r.", "c.", "rs"


def question(
    lib: Library,
    step: TriageStep,
    state: TriageState,
    nonce: int,
    extra: dict[str, object],
) -> tuple[str, InlineKeyboardMarkup]:
    """The message and buttons that ask ``step``."""

    def b(text_key: str, value: str) -> InlineKeyboardButton:
        return button(lib.text(text_key), TriageAnswer(nonce, value))

    match step:
        case TriageStep.CONSENT:
            name = str(extra.get("name") or "there")
            return lib.text("welcome_new", name=name), rows(
                [b("consent_yes", "yes")], [b("consent_no", "no")]
            )
        case TriageStep.AGE:
            return html.escape(lib.rules.age_question), rows(
                [b("age_under_16", AgeBand.UNDER_16.value)],
                [b("age_adult", AgeBand.ADULT.value)],
                [b("age_over_50", AgeBand.OVER_50.value)],
            )
        case TriageStep.GROUP:
            return _group(lib, state, nonce)
        case TriageStep.PAIN_NOW:
            return lib.text("q_pain_now"), grid(
                (button(str(n), TriageAnswer(nonce, str(n))) for n in range(11)), 6
            )
        case TriageStep.PAIN_DURATION:
            return lib.text("q_pain_duration"), rows(
                [b("duration_days", "days")],
                [b("duration_weeks", "weeks")],
                [b("duration_months", "months")],
            )
        case TriageStep.EXPERIENCE:
            return lib.text("q_experience"), rows(
                [b("experience_new", "new")],
                [b("experience_some", "some")],
                [b("experience_regular", "regular")],
            )
        case TriageStep.EQUIPMENT:
            chosen = state.equipment_draft
            items = [
                button(
                    ("✅ " if item in chosen else "▫️ ") + lib.text(f"equipment_{item.value}"),
                    TriageAnswer(nonce, item.value),
                )
                for item in EQUIPMENT
            ]
            last = b("equipment_done", "done") if chosen else b("equipment_none", "none")
            return lib.text("q_equipment"), rows(items[:2], items[2:], [last])
        case TriageStep.TIME_ZONE:
            return _time_zone(lib, nonce, extra)
        case TriageStep.REMINDERS:
            return lib.text("q_reminders"), rows(
                [b("reminders_yes", "yes")], [b("reminders_no", "no")]
            )
    raise ValueError(f"no question for step {step}")


def _group(lib: Library, state: TriageState, nonce: int) -> tuple[str, InlineKeyboardMarkup]:
    """One screen group: every pending item listed, one button each, and "None of these"."""
    group = current_group(state, lib.rules)
    assert group is not None
    flags = pending_flags(group, state)
    listed = "\n".join(f"• {flag.question}" for flag in flags)
    text = f"{group.intro}\n\n{listed}"
    if group.kind is GroupKind.PICK:
        tapped = state.pick_draft
        items = [
            button(
                ("✅ " if flag.id in tapped else "▫️ ") + flag.button,
                TriageAnswer(nonce, FLAG + flag.id),
            )
            for flag in flags
        ]
        last = button(
            lib.text("equipment_done" if tapped else "none_of_these"),
            TriageAnswer(nonce, DONE if tapped else NONE),
        )
        return text, InlineKeyboardMarkup([*grid(items, 1).inline_keyboard, (last,)])
    items = [button(flag.button, TriageAnswer(nonce, FLAG + flag.id)) for flag in flags]
    none = button(lib.text("none_of_these"), TriageAnswer(nonce, NONE))
    return text, InlineKeyboardMarkup([*grid(items, 1).inline_keyboard, (none,)])


def _time_zone(
    lib: Library, nonce: int, extra: dict[str, object]
) -> tuple[str, InlineKeyboardMarkup]:
    region = next((r for r in lib.regions if slug(r.name) == extra.get("region")), None)
    if region is None:
        return lib.text("q_time_zone"), grid(
            (button(r.name, TriageAnswer(nonce, REGION + slug(r.name))) for r in lib.regions),
            2,
        )
    cities = [button(c.name, TriageAnswer(nonce, CITY + slug(c.name))) for c in region.cities]
    back = button(lib.text("tz_back"), TriageAnswer(nonce, REGIONS))
    return lib.text("tz_pick_city", region=html.escape(region.name)), InlineKeyboardMarkup(
        [*grid(cities, 2).inline_keyboard, (back,)]
    )


def slug(name: str) -> str:
    """Callback data is ASCII: "São Paulo" becomes "SaoPaulo"."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())[:30]


def city_zone(lib: Library, city_slug: str) -> str | None:
    """The zone of the city whose button was pressed."""
    for region in lib.regions:
        for city in region.cities:
            if slug(city.name) == city_slug:
                return city.zone
    return None
