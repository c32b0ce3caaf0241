"""First contact: the welcome, help, the command menu, groups and odd input."""

from __future__ import annotations

from tests.flows.conftest import Lumbar


async def test_start_welcomes_and_asks_consent(lumbar: Lumbar) -> None:
    ann = lumbar.user(name="Ann")
    out = await lumbar.send(ann, "/start")
    assert len(out) == 1
    assert "Hi Ann" in (out[0].text or "")
    assert "not" in (out[0].text or "") and "doctor" in (out[0].text or "")
    labels = [text for row in lumbar.server.buttons(out[0]) for text, _ in row]
    assert labels == ["Yes, I'm 16 to 49", "Yes, I'm 50 or over", "I'm under 16", "Not now"]


async def test_help_lists_commands_and_menu_is_set(lumbar: Lumbar) -> None:
    ann = lumbar.user()
    out = await lumbar.send(ann, "/help")
    text = out[0].text or ""
    for command in ("/today", "/stretch", "/progress", "/reminders", "/forget", "/export"):
        assert command in text
    menu = lumbar.server.commands[("default", "")]
    names = [c["command"] for c in menu]
    assert {"today", "stretch", "progress", "reminders", "help", "forget"} <= set(names)


async def test_unknown_command_and_sticker_get_friendly_answers(lumbar: Lumbar) -> None:
    ann = lumbar.user()
    out = await lumbar.send(ann, "/dance")
    assert "don't know that command" in (out[0].text or "")
    lumbar.server.send_sticker(ann)
    await lumbar.server.settle(quiet=0.3)
    assert "can't read that kind of message" in (lumbar.server.last_bot_message(ann).text or "")


async def test_group_gets_one_polite_line_and_nothing_is_stored(lumbar: Lumbar) -> None:
    ann = lumbar.user()
    lumbar.server.add_bot_to_group(ann, -100123)
    await lumbar.server.settle(quiet=0.3)
    lumbar.server.send_group_text(ann, -100123, "/start")
    await lumbar.server.settle(quiet=0.3)
    group_messages = [m for m in lumbar.server.chat(-100123) if m.from_bot]
    assert len(group_messages) == 2
    assert all("private chat" in (m.text or "") for m in group_messages)
    async with lumbar.services.transaction() as uow:
        assert await uow.users.get(ann.id) is None
