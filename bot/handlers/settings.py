"""`/settings`: the profile at a glance, a new time zone, or a fresh triage."""

from __future__ import annotations

import html

from telegram import Update

from bot.callbacks import Menu
from bot.handlers.common import close_press, equipment_words, say
from bot.handlers.gate import consent_refusal, send_refusal
from bot.handlers.triage import cmd_triage, start_zone_change
from bot.keyboards import button, rows
from bot.services import LumbarContext


async def cmd_settings(update: Update, context: LumbarContext) -> None:
    """Show time zone, phase and equipment with buttons to change them."""
    assert update.effective_user is not None
    user_id = update.effective_user.id
    lib = context.services.library
    async with context.services.transaction() as uow:
        refusal = await consent_refusal(uow, context, user_id)
        now = context.services.clock()
        user = await uow.users.touch(user_id, now) if refusal is None else None
        profile = await uow.profiles.get(user_id)
    if user is None:
        assert refusal is not None  # consent needs the user row, read in the same transaction
        await send_refusal(context, user_id, refusal)
        return
    # The same words the check used: its button labels and phase names, never stored values.
    equipment = equipment_words(lib, profile.equipment if profile else ())
    phase = lib.text(f"phase_name_{profile.phase}" if profile else "settings_not_set")
    await say(
        context,
        user_id,
        lib.text(
            "settings",
            zone=html.escape(user.time_zone),
            phase=phase,
            equipment=html.escape(equipment),
        ),
        rows(
            [button(lib.text("btn_set_zone"), Menu("set", "zone"))],
            [button(lib.text("btn_redo_triage"), Menu("set", "triage"))],
        ),
    )


async def on_settings_button(update: Update, context: LumbarContext, arg: str) -> None:
    """Change the time zone (reminders follow it) or redo the whole check."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user_id = update.effective_user.id
    await close_press(update, context)
    if arg == "zone":
        async with context.services.transaction() as uow:
            refusal = await consent_refusal(uow, context, user_id)
        if refusal is not None:
            await send_refusal(context, user_id, refusal)
            return
        await start_zone_change(context, user_id)
    elif arg == "triage":
        await cmd_triage(update, context)
