"""The safety check's questions as a user sees them: text and buttons for each step.

Also the words of an answer (``answer_label``; ``common.answered`` shows it under its
question) and the reasons a safety question gives to "not sure".
"""

from __future__ import annotations

import html
import unicodedata

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import TriageAnswer
from bot.coach.triage_flow import (
    CHANGE,
    DONE,
    FLAG,
    NONE,
    OK,
    AgeBand,
    Reminders,
    TriageState,
    TriageStep,
    current_group,
    group_position,
    pending_flags,
)
from bot.handlers.summary import EQUIPMENT, plan_text
from bot.keyboards import button, grid, rows
from content.schema import Equipment, Flag, GroupKind, Library

# Navigation inside the time-zone question; everything else is an answer for the coach.
REGION, CITY, REGIONS = "r.", "c.", "rs"
# ``extra`` keys of the time-zone question: the region shown ("*": the list of regions),
# and a typed town that was not found.
SHOWN_REGION, MISSED = "region", "missed"
AGES = (
    (AgeBand.ADULT, "age_adult"),
    (AgeBand.OVER_50, "age_over_50"),
    (AgeBand.UNDER_16, "age_under_16"),
)
REMINDER_CHOICES = (
    (Reminders.STRETCH, "reminders_choice_stretch"),
    (Reminders.ALL, "reminders_choice_all"),
    (Reminders.NONE, "reminders_no"),
)


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
            ages = [[b(f"consent_{key}", band.value)] for band, key in AGES]
            return lib.text("welcome_new", name=name), rows(*ages, [b("consent_no", "no")])
        case TriageStep.AGE:
            ages = [[b(key, band.value)] for band, key in AGES]
            return html.escape(lib.rules.age_question), rows(*ages)
        case TriageStep.TIME_ZONE:
            return _time_zone(lib, nonce, extra)
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
            last = b("equipment_done", DONE) if chosen else b("equipment_none", NONE)
            return lib.text("q_equipment"), rows(items[:2], items[2:], [last])
        case TriageStep.REMINDERS:
            return lib.text("q_reminders"), rows(
                *([b(key, choice.value)] for choice, key in REMINDER_CHOICES)
            )
        case TriageStep.PLAN:
            change = [b(f"btn_change_{s}", CHANGE + s) for s in ("experience", "equipment")]
            return plan_text(lib, state), rows(
                [b("btn_first_session", OK)],
                change,
                [b("btn_change_reminders", CHANGE + "reminders")],
            )
    raise ValueError(f"no question for step {step}")


def answer_label(lib: Library, step: TriageStep, state: TriageState, value: str) -> str:
    """The words of the answer ``value`` to ``step`` as asked in ``state`` (HTML-escaped)."""
    labels = {"yes": lib.text("yes"), "no": lib.text("consent_no"), NONE: lib.text("none_of_these")}
    labels |= {FLAG + f.id: f.button for f in lib.rules.flags}
    prefix = "consent_" if step is TriageStep.CONSENT else ""
    labels |= {band.value: lib.text(prefix + key) for band, key in AGES}
    if step is TriageStep.GROUP:
        group = current_group(state, lib.rules)
        flags = {FLAG + f.id: f.button for f in pending_flags(group, state)} if group else {}
        picked = [f for f in flags if f.removeprefix(FLAG) in state.pick_draft]
        labels |= flags | {DONE: ", ".join(flags[f] for f in picked)}
    elif step is TriageStep.PAIN_NOW:
        return f"{html.escape(value)}/10"
    elif step is TriageStep.PAIN_DURATION:
        labels = {d: lib.text(f"duration_{d}") for d in ("days", "weeks", "months")}
    elif step is TriageStep.EXPERIENCE:
        labels = {e: lib.text(f"experience_{e}") for e in ("new", "some", "regular")}
    elif step is TriageStep.EQUIPMENT:
        names = [lib.text(f"equipment_{e.value}") for e in EQUIPMENT if e in state.equipment_draft]
        labels = {DONE: ", ".join(names), Equipment.NONE.value: lib.text("equipment_none")}
    elif step is TriageStep.REMINDERS:
        labels = {choice.value: lib.text(key) for choice, key in REMINDER_CHOICES}
    elif step is TriageStep.PLAN:
        labels = {OK: lib.text("btn_first_session")}
    return html.escape(labels.get(value, value))


def why_text(lib: Library, flags: tuple[Flag, ...]) -> str:
    """What "not sure" at a safety question gets: why each item on it matters."""
    reasons = "\n".join(f"• <b>{html.escape(f.label)}</b>: {html.escape(f.why)}" for f in flags)
    return lib.text("use_buttons_safety", reasons=reasons)


def _group(lib: Library, state: TriageState, nonce: int) -> tuple[str, InlineKeyboardMarkup]:
    """One screen group, numbered for this user; every pending item, one button each."""
    group = current_group(state, lib.rules)
    assert group is not None
    position, total = group_position(state, lib.rules)
    head = (
        lib.text("safety_check_of", n=position, total=total)
        if total > 1
        else lib.text("safety_check")
    )
    flags = pending_flags(group, state)
    listed = "\n".join(f"• {flag.question}" for flag in flags)
    text = f"{head} {group.intro}\n\n{listed}"
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
    """A typed town first; the list of regions on request, or after a town not found."""
    regions = grid(
        (button(r.name, TriageAnswer(nonce, REGION + slug(r.name))) for r in lib.regions), 2
    )
    missed = extra.get(MISSED)
    if missed is not None:
        return lib.text("tz_not_found", text=html.escape(str(missed)[:60])), regions
    shown = extra.get(SHOWN_REGION)
    region = next((r for r in lib.regions if slug(r.name) == shown), None)
    if region is not None:
        cities = [button(c.name, TriageAnswer(nonce, CITY + slug(c.name))) for c in region.cities]
        back = button(lib.text("tz_back"), TriageAnswer(nonce, REGIONS))
        return lib.text("tz_pick_city", region=html.escape(region.name)), InlineKeyboardMarkup(
            [*grid(cities, 2).inline_keyboard, (back,)]
        )
    if shown is not None:
        return lib.text("tz_pick_region"), regions
    listed = button(lib.text("tz_list"), TriageAnswer(nonce, REGIONS))
    return lib.text("q_time_zone"), rows([listed])


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


def city_name(lib: Library, city_slug: str) -> str:
    """The name of the city whose button was pressed (the slug if unknown)."""
    for region in lib.regions:
        for city in region.cities:
            if slug(city.name) == city_slug:
                return city.name
    return city_slug
