"""SIGKILL in the middle of triage, a session and a nudge run; SIGTERM for a graceful stop.

The emulator stalls one Bot API call so that the process is provably mid-update (or
mid-dispatch) when the signal arrives; then a new process starts on the same database.
"""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest

from bot.emulator import FakeUser, StoredMessage
from content.loader import load_library
from tests.e2e.process import Deployment

pytestmark = [pytest.mark.e2e]

STALL = 2.0  # the kill comes within milliseconds of the stall starting


async def _groups_answered(deploy: Deployment, user: FakeUser) -> int:
    """How many screen groups of the safety check are answered (each answers all its items)."""
    async with deploy.transaction() as uow:
        state = await uow.triage.get_state(user.id)
    assert state is not None
    answered = {flag_id for flag_id, _ in state.answers.get("flags", [])}
    groups = load_library().rules.groups
    return sum(all(f.id in answered for f in g.flags if f.when is None) for g in groups)


def _callback_text(deploy: Deployment, query_id: str) -> str:
    answer = deploy.server.callback_answers.get(query_id)
    return (answer.text or "") if answer else ""


async def test_killed_during_triage_the_user_continues_and_no_answer_is_lost(
    deployment: Deployment,
) -> None:
    deploy = deployment
    ann = deploy.server.user(1001, first_name="Ann")
    first = await deploy.start()
    await deploy.send(ann, "/start")
    await deploy.press(ann, "Yes, I'm 16 to 49")
    await deploy.send(ann, "Berlin")
    await deploy.press(ann, "None of these")  # safety group 1
    assert await _groups_answered(deploy, ann) == 1

    # Killed before the answer is stored: the press was never confirmed to Telegram, so
    # the next process gets it again and handles it without the user doing anything.
    deploy.server.stall("answerCallbackQuery", STALL)
    message, data = deploy.find_button(ann, "None of these")
    deploy.server.press(ann, message.message_id, data)
    await deploy.stalled("answerCallbackQuery")
    await deploy.kill_during_stall(first)
    assert await _groups_answered(deploy, ann) == 1
    second = await deploy.start()
    await deploy.server.settle(quiet=0.3)
    assert "Safety check 3 of" in (deploy.server.last_bot_message(ann).text or "")
    assert await _groups_answered(deploy, ann) == 2
    # An old copy of the same button (a tap that was in flight) counts once, not twice.
    query_id = deploy.server.press(ann, message.message_id, data, force=True)
    await deploy.server.settle(quiet=0.3)
    assert "passed" in _callback_text(deploy, query_id)
    assert await _groups_answered(deploy, ann) == 2

    # Killed after the answer is stored, before the next question went out (while the
    # answered question was being closed).
    deploy.server.stall("editMessageText", STALL)
    message, data = deploy.find_button(ann, "None of these")
    deploy.server.press(ann, message.message_id, data)
    await deploy.stalled("editMessageText")
    await deploy.kill_during_stall(second)
    third = await deploy.start()
    assert await _groups_answered(deploy, ann) == 3
    query_id = deploy.server.press(ann, message.message_id, data, force=True)
    await deploy.server.settle(quiet=0.3)
    assert "passed" in _callback_text(deploy, query_id)
    assert "Safety check 4 of" in (deploy.server.last_bot_message(ann).text or "")
    await deploy.press(ann, "None of these")
    assert await _groups_answered(deploy, ann) == 4  # nothing lost, nothing twice
    assert await third.stop() == 0


class _Shown:
    """The session's card as it is on screen now."""

    def __init__(self, message: StoredMessage) -> None:
        self.caption_text = message.caption or ""
        self.history = message.history


def _card(deploy: Deployment, user: FakeUser) -> _Shown:
    cards = [m for m in deploy.server.bot_messages(user) if m.kind in ("photo", "animation")]
    return _Shown(cards[-1])


async def test_killed_during_a_session_it_resumes_and_the_day_counts_once(
    deployment: Deployment,
) -> None:
    deploy = deployment
    ann = deploy.server.user(1001, first_name="Ann")
    await deploy.migrate()
    await deploy.seed_user(ann)
    first = await deploy.start()
    out = await deploy.send(ann, "/today")
    total = int((out[-1].caption or "").split("Card 1 of ")[1].split()[0])
    await deploy.press(ann, "Done")

    # Card 2 answered and stored; the process dies before card 3 is drawn. The press was
    # not confirmed to Telegram: the next process gets it again and draws card 3.
    deploy.server.stall("answerCallbackQuery", STALL)
    message, data = deploy.find_button(ann, "Done")
    deploy.server.press(ann, message.message_id, data)
    await deploy.stalled("answerCallbackQuery")
    await deploy.kill_during_stall(first)
    assert "Card 2 of" in _card(deploy, ann).caption_text
    second = await deploy.start()
    await deploy.server.settle(quiet=0.3)
    assert f"Card 3 of {total}" in _card(deploy, ann).caption_text
    out = await deploy.send(ann, "/today")
    (resumed,) = out  # where the session stands heads the card it resumes with
    assert f"continue where you left off (card 3 of {total})" in (resumed.caption or "")
    assert f"Card 3 of {total}" in (resumed.caption or "")
    for _ in range(3, total):
        out = await deploy.press(ann, "Done")

    # The last card: the session is finished and the day counted, then the process dies
    # before the summary is drawn.
    deploy.server.stall("answerCallbackQuery", STALL)
    message, data = deploy.find_button(ann, "Done")
    deploy.server.press(ann, message.message_id, data)
    await deploy.stalled("answerCallbackQuery")
    await deploy.kill_during_stall(second)
    third = await deploy.start()
    await deploy.server.settle(quiet=0.3)
    # Delivered again: the summary and "how does your back feel?" are drawn, once.
    summary = _card(deploy, ann)
    assert "Session complete" in summary.caption_text
    assert summary.caption_text.endswith("How does your back feel now?")
    versions = len(summary.history)
    deploy.server.press(ann, message.message_id, data, force=True)  # pressed again
    await deploy.server.settle(quiet=0.3)
    assert len(_card(deploy, ann).history) == versions  # nothing drawn twice
    assert not deploy.server.new_bot_messages(ann)
    out = await deploy.send(ann, "/today")
    assert "already finished" in (out[0].text or "")
    async with deploy.transaction() as uow:
        streak = await uow.streaks.get(ann.id)
        days = await uow.streaks.days_between(ann.id, streak.last_on, streak.last_on)  # type: ignore[union-attr]
        workouts = await uow.workouts.recent(ann.id, streak.last_on)  # type: ignore[union-attr]
    assert streak is not None and streak.current == 1 and streak.best == 1
    assert len(days) == 1
    (workout,) = workouts
    assert workout.finished_at is not None
    assert [r.outcome for r in workout.results] == ["done"] * total  # every answer, once
    assert await third.stop() == 0


async def test_killed_during_a_nudge_run_no_nudge_goes_out_twice(deployment: Deployment) -> None:
    deploy = deployment
    users = [deploy.server.user(2000 + n, first_name=f"U{n}") for n in range(3)]
    await deploy.migrate()
    for user in users:
        await deploy.seed_user(user, nudge_due_in=timedelta(seconds=-5))
    deploy.server.stall("sendMessage", STALL, chat_id=users[1].id)
    first = await deploy.start(NUDGE_INTERVAL_SECONDS="0.3")
    await deploy.stalled("sendMessage")
    await deploy.server.wait_for(
        lambda: all(deploy.server.bot_messages(u) for u in (users[0], users[2])),
        what="the other two nudges",
    )
    await deploy.kill_during_stall(first)

    def nudges() -> list[int]:
        return [len(deploy.server.bot_messages(u)) for u in users]

    before = nudges()
    second = await deploy.start(NUDGE_INTERVAL_SECONDS="0.3")
    await deploy.server.settle(quiet=1.0)
    assert nudges() == before  # within the lease nothing is touched
    assert await second.stop() == 0
    await deploy.expire_leases()
    third = await deploy.start(NUDGE_INTERVAL_SECONDS="0.3")
    await deploy.server.settle(quiet=1.0)
    assert await third.stop() == 0
    assert nudges() == before  # a nudge that may have gone out is never sent again
    async with deploy.transaction() as uow:
        for user in users:
            rows = {n.kind: n for n in await uow.nudges.for_user(user.id)}
            assert rows["stretch"].due_at is not None  # the next one is planned as usual


async def test_updates_fetched_by_a_killed_process_are_handled_once_by_the_next(
    deployment: Deployment,
) -> None:
    """At least once: what the dead process had fetched is handled; what it finished is not."""
    deploy = deployment
    users = [deploy.server.user(3000 + n, first_name=f"U{n}") for n in range(4)]
    await deploy.migrate()
    for user in users:
        await deploy.seed_user(user)
    first = await deploy.start()
    help_messages = len(await deploy.send(users[0], "/help"))  # finished before the kill
    for user in users[1:]:
        deploy.server.stall("sendMessage", STALL, chat_id=user.id)
        # One chat's updates go one at a time: /help waits behind the stalled /progress.
        deploy.server.send_text(user, "/progress")
        deploy.server.send_text(user, "/help")
    await deploy.stalled("sendMessage")
    await deploy.kill_during_stall(first)
    second = await deploy.start()
    await deploy.server.settle(quiet=0.5, timeout=20)
    assert len(deploy.server.bot_messages(users[0])) == help_messages  # not handled again
    for user in users[1:]:
        texts = [m.text or m.caption or "" for m in deploy.server.bot_messages(user)]
        assert sum("Lumbar coaches" in t for t in texts) == 1, texts  # not lost, once
        progress = [t for t in texts if "Streak" in t]
        # A reply already at Telegram when its process died may come once more.
        assert 1 <= len(progress) <= 2, texts
    assert await second.stop() == 0


async def test_sigterm_finishes_updates_in_flight_then_closes_everything(
    deployment: Deployment,
) -> None:
    deploy = deployment
    ann = deploy.server.user(1001, first_name="Ann")
    await deploy.migrate()
    await deploy.seed_user(ann)
    run = await deploy.start()
    await deploy.send(ann, "/today")
    assert deploy.db_path.with_name("lumbar.sqlite3-wal").exists()

    deploy.server.stall("editMessageMedia", 2.0)
    message, data = deploy.find_button(ann, "Done")
    deploy.server.press(ann, message.message_id, data)
    await deploy.stalled("editMessageMedia")
    polls = len(deploy.server.calls_to("getUpdates"))
    deploy.server.send_text(ann, "/help")  # fetched, waiting behind the press in ann's chat
    await deploy.server.wait_for(
        lambda: len(deploy.server.calls_to("getUpdates")) > polls + 1, what="/help fetched"
    )
    run.proc.send_signal(signal.SIGTERM)

    assert await run.wait(30) == 0
    assert "Card 2 of" in _card(deploy, ann).caption_text  # the press in flight was finished
    texts = [m.text_or_caption for m in deploy.server.new_bot_messages(ann)]
    assert any("/today" in t for t in texts)  # and so was the /help behind it
    order = [
        "stop signal: finishing updates in flight",
        "stopped: updates in flight finished, nudge scheduler stopped",
        "database closed",
    ]
    found = [next(i for i, line in enumerate(run.lines) if want in line) for want in order]
    assert found == sorted(found)
    # SQLite checkpoints and removes its write-ahead log only when the last connection closes.
    assert not deploy.db_path.with_name("lumbar.sqlite3-wal").exists()
    assert "Traceback" not in run.output
