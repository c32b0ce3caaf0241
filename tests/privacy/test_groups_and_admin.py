"""Groups and channels get one polite line and leave no trace; /stats is for admins, counts only."""

from __future__ import annotations

import pytest

from tests.faults.harness import Lumbar, all_rows, rows_mentioning, seed_profile, texts
from tests.privacy.conftest import ADMIN_ID

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])

GROUP, SUPERGROUP, CHANNEL = -100555, -100666, -100777
MEMBER_ID = 618033988


def group_lines(lumbar: Lumbar, chat_id: int) -> list[str]:
    return [m.text or "" for m in lumbar.server.chat(chat_id) if m.from_bot]


async def test_groups_get_one_polite_line_and_nothing_is_kept(lumbar: Lumbar, db_url: str) -> None:
    member = lumbar.user(MEMBER_ID, name="Mia")
    lumbar.server.add_bot_to_group(member, GROUP)
    await lumbar.server.settle(quiet=0.3)
    assert len(group_lines(lumbar, GROUP)) == 1  # added: one line, not two
    for text in ("/start", "/today@lumbar_test_bot", "my back hurts, any tips?", "/help@other_bot"):
        lumbar.server.send_group_text(member, GROUP, text)
        await lumbar.server.settle(quiet=0.3)
    lines = group_lines(lumbar, GROUP)
    assert len(lines) == 3  # joining, /start and /today@us; chat and other bots' commands: none
    assert all("private chat" in line for line in lines)
    lumbar.server.add_bot_to_group(member, SUPERGROUP, admin=True)
    lumbar.server.channel_post(CHANNEL, "/start")
    await lumbar.server.settle(quiet=0.3)
    assert len(group_lines(lumbar, SUPERGROUP)) == 1
    assert group_lines(lumbar, CHANNEL) == []
    rows = await all_rows(db_url)
    assert list(rows_mentioning(rows, MEMBER_ID, GROUP, SUPERGROUP, CHANNEL, "Mia")) == []
    assert not lumbar.app.user_data and not lumbar.app.chat_data


async def test_stats_gives_admins_counts_and_nothing_personal(lumbar: Lumbar) -> None:
    ann = lumbar.user(734590123, name="Annika-Zq")
    await seed_profile(lumbar, ann)
    await lumbar.send(ann, "/today")
    admin = lumbar.user(ADMIN_ID, name="Ops")
    out = await lumbar.send(admin, "/stats")
    text = texts(out)
    assert "users: 1" in text and "profiles_none: 1" in text
    assert "734590123" not in text and "Annika" not in text and "Berlin" not in text
    figures = [line.split(": ", 1)[1] for line in text.splitlines() if ": " in line]
    assert figures and all(value.isdigit() for value in figures)  # numbers, nothing else


async def test_stats_for_anyone_else_is_the_normal_help(lumbar: Lumbar) -> None:
    ann = lumbar.user(734590123, name="Annika-Zq")
    await seed_profile(lumbar, ann)
    out = await lumbar.send(ann, "/stats")
    assert "users:" not in texts(out)
    assert texts(out) == texts(await lumbar.send(ann, "/help"))
