"""Issue 14's table, flag by flag: the question, its tier, and the exact message a user gets.

Each case is a user in London who finished a clean check before and redoes it
(``/triage``), taps "None of these" up to the flag's group and then the flag.
"""

from __future__ import annotations

import html

import pytest

from bot.emulator import StoredMessage
from content.loader import load_library
from content.schema import Flag, GroupKind, Tier
from tests.flows.conftest import Lumbar
from tests.seeding import seed_finished_triage

RULES = load_library().rules
FLAGS = [(index, group, flag) for index, group in enumerate(RULES.groups) for flag in group.flags]


def expected_stop(flag: Flag) -> str:
    """The stop message as the content defines it, for a user in London (999)."""
    words = RULES.tiers[flag.tier]
    icon = "🚨" if flag.tier is Tier.EMERGENCY else "⚠️"
    advice = words.advice.replace("{number}", "999")
    return "\n".join(
        [
            f"{icon} {words.headline}",
            "",
            f"You told me about: {flag.label}.",
            flag.why,
            "",
            advice,
        ]
    )


def shown(message: StoredMessage) -> str:
    """The text as a user reads it (tags gone, entities decoded)."""
    text = message.text or ""
    return html.unescape(text.replace("<b>", "").replace("</b>", ""))


@pytest.mark.parametrize(
    ("group_index", "flag_id"),
    [(index, flag.id) for index, _, flag in FLAGS],
    ids=[flag.id for _, _, flag in FLAGS],
)
async def test_each_flag_gets_its_tier_and_its_exact_message(
    lumbar: Lumbar, group_index: int, flag_id: str
) -> None:
    flag = RULES.flag(flag_id)
    assert flag is not None
    group = RULES.groups[group_index]
    user = lumbar.user(8000 + group_index * 10 + group.flags.index(flag), name="Tab")
    lumbar.server.private_chat(user)
    async with lumbar.services.transaction() as uow:
        await seed_finished_triage(uow, user, lumbar.clock(), zone="Europe/London")
    await lumbar.send(user, "/triage")
    out = await lumbar.press(user, "50 or over" if flag.when else "16 to 49")
    for _ in range(group_index):
        out = await lumbar.press(user, "None of these")
    assert flag.button in str(lumbar.server.buttons(out[-1])), "the question offers the flag"
    out = await lumbar.press(user, flag.button)
    if group.kind is GroupKind.PICK:
        await lumbar.press(user, "Done")
        await lumbar.press(user, "3")
        out = await lumbar.press(user, "Some weeks")
        if flag.tier is not Tier.DOCTOR_FIRST:  # the plan, confirmed with its one tap
            out = [lumbar.plan(user), *await lumbar.press(user, "Start my first session")]
    async with lumbar.services.transaction() as uow:
        profile = await uow.profiles.get(user.id)
    assert profile is not None
    if flag.tier.stops:
        assert [m.text for m in out if m.text and m.text[0] in "🚨⚠"] == [m.text for m in out[:1]]
        assert shown(out[0]) == expected_stop(flag)
        assert profile.red_flag_ids == [flag.id] and profile.red_flag == flag.tier.value
        return
    summary = shown(lumbar.summary(out))
    words = RULES.tiers[flag.tier]
    assert words.headline in summary
    assert " ".join(words.advice.split()) in " ".join(summary.split())
    assert f"You told me about: {flag.label}." in summary or flag.tier is Tier.ADAPT
    if flag.tier is Tier.DOCTOR_FIRST:
        assert summary.startswith("⚠️ Doctor first.")
        assert profile.contraindication_ids == [flag.id]
    else:
        assert summary.startswith("Your plan is ready.")
        assert profile.red_flag_ids == [] and profile.contraindication_ids == []
