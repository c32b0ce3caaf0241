"""A doctor's clearance: asked for, confirmed, checked for anything new, then recorded.

The decision (may it be cleared now, which flags, is the button still current)
is the coach's (``bot.coach.clearance``); this module asks and stores. A
clearance covers the flags open when the user confirmed, nothing reported later.
"""

from __future__ import annotations

import html

from telegram import Update

from bot.callbacks import Menu
from bot.coach import clearance
from bot.coach.triage import Phase, red_flag_level
from bot.coach.triage_flow import TriageState, with_cleared
from bot.handlers.common import answers_from_profile, close_press, is_check_step, say
from bot.handlers.safety import clearance_button, stop_text
from bot.handlers.triage import resume_triage
from bot.keyboards import button, rows
from bot.nudge_schedule import reschedule
from bot.services import LumbarContext

OK_PREFIX = "ok."


async def on_clearance(update: Update, context: LumbarContext, arg: str) -> None:
    """Walk the clearance: ask → examined? → anything new or worse? → record."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.library
    now = context.services.clock()
    await close_press(update, context)
    async with context.services.transaction() as uow:
        profile = await uow.profiles.get(user_id)
        user = await uow.users.get(user_id)
    zone_name = user.time_zone if user else None
    if profile is None:
        await say(context, user_id, lib.text("stale_button"))
        return
    open_ids = answers_from_profile(profile).open_flags
    verdict = clearance.verdict(open_ids, lib.rules, profile.flagged_at, now)
    if verdict is clearance.Verdict.NOTHING_OPEN:
        await say(context, user_id, lib.text("cleared_nothing_open"))
        return
    if verdict is clearance.Verdict.TOO_SOON:
        await say(context, user_id, stop_text(lib, open_ids, zone_name))
        return
    if arg == "ask":
        await say(
            context,
            user_id,
            lib.text("cleared_confirm"),
            rows(
                [button(lib.text("btn_cleared_yes"), Menu("clear", "yes"))],
                [button(lib.text("btn_cleared_no"), Menu("clear", "no"))],
            ),
        )
    elif arg == "yes":
        labels = [f"• {html.escape(f.label)}" for f in lib.rules.flags if f.id in open_ids]
        stamp = clearance.token(open_ids, profile.flagged_at)
        await say(
            context,
            user_id,
            lib.text("cleared_recheck", flags="\n".join(labels)),
            rows(
                [button(lib.text("btn_cleared_nothing_new"), Menu("clear", OK_PREFIX + stamp))],
                [button(lib.text("btn_cleared_something_new"), Menu("clear", "worse"))],
            ),
        )
    elif arg.startswith(OK_PREFIX):
        await _record(context, user_id, arg.removeprefix(OK_PREFIX))
    elif arg == "worse":
        await say(context, user_id, lib.text("cleared_something_new"))
        await say(context, user_id, stop_text(lib, open_ids, zone_name))
    else:
        await say(context, user_id, lib.text("cleared_not_yet"))


async def _record(context: LumbarContext, user_id: int, stamp: str) -> None:
    """Record the clearance if the button still covers exactly what is open, then go on."""
    lib = context.library
    now = context.services.clock()
    resume = False
    async with context.services.transaction() as uow:
        profile = await uow.profiles.get(user_id)
        if profile is None:
            return
        answers = answers_from_profile(profile)
        open_ids = answers.open_flags
        current = clearance.token(open_ids, profile.flagged_at)
        allowed = clearance.verdict(open_ids, lib.rules, profile.flagged_at, now)
        if stamp != current or allowed is not clearance.Verdict.ALLOWED:
            stale = True
        else:
            stale = False
            cleared = answers.cleared | open_ids
            await uow.profiles.set_flags(
                user_id,
                red_flag=red_flag_level(answers.red_flags - cleared, lib.rules).value,
                red_flag_ids=sorted(answers.red_flags),
                contraindication_ids=sorted(answers.contraindications),
                cleared_ids=sorted(cleared),
                flagged_at=profile.flagged_at,
                cleared_at=now,
            )
            # The article: after a doctor's go-ahead, start on the gentlest plan.
            await uow.profiles.set_phase(user_id, Phase.GENTLE.value)
            stored = await uow.triage.get_state(user_id)
            if stored is not None and is_check_step(stored.step):
                state = with_cleared(TriageState.from_json(stored.answers), open_ids)
                await uow.triage.save_state(
                    user_id,
                    stored.step,
                    {**stored.answers, **state.to_json()},
                    stored.nonce % 999_999 + 1,
                    None,
                    now,
                )
                resume = True
            await reschedule(uow, user_id, now)
    if stale:
        await say(context, user_id, lib.text("question_passed"))
        await say(context, user_id, lib.text("cleared_later"), clearance_button(lib))
        return
    await say(context, user_id, lib.text("cleared_thanks"))
    if resume:
        await resume_triage(context, user_id)
        return
    await say(
        context,
        user_id,
        lib.text("cleared_start_gently"),
        rows([button(lib.text("btn_first_session"), Menu("go", "today"))]),
    )
